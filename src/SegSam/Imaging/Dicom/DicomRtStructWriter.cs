using System.Globalization;
using SegSam.Imaging.Dicom.Writing;
using SegSam.IO;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Writes a label volume on a DICOM series' grid as an RT Structure Set (PS3.3 A.19): one ROI
/// per category present (Structure Set ROI, ROI Contour and RT ROI Observations sequences), and
/// for each source slice the category's outlines as CLOSED_PLANAR contours in patient
/// coordinates (LPS, mm), each with a Contour Image Sequence naming the slice's instance. The
/// outlines follow pixel edges (<see cref="BoundaryTracer"/>): a pixel (c, r) covers
/// [c − ½, c + ½] × [r − ½, r + ½] around its centre, whose position is Image Position (Patient) +
/// c · column spacing · row cosine + r · row spacing · column cosine (PS3.3 C.7.6.2.1.1). Each
/// 4-connected region gives an outer contour; each hole in it gives one more contour on the same
/// slice, so a reader that fills a slice's contours with the even–odd (XOR) rule gets the labels
/// back exactly. The Referenced Frame of Reference Sequence → RT Referenced Study → RT Referenced
/// Series → Contour Image Sequence lists every source instance. Explicit VR little endian.
/// </summary>
public static class DicomRtStructWriter
{
    /// <summary>RT Structure Set Storage (PS3.4 B.5).</summary>
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.481.3";
    /// <summary>The SOP Class the RT Referenced Study Sequence names for a study (Study Component Management, PS3.3 C.8.8.5).</summary>
    const string StudyReferenceClassUid = "1.2.840.10008.3.1.2.3.1";

    /// <summary>
    /// The Part 10 bytes of the structure set of <paramref name="labels"/> (as
    /// <see cref="DicomSegWriter.Encode"/> takes them).
    /// </summary>
    public static byte[] Encode(Volume labels, IReadOnlyList<LabelCategory> categories, DicomSourceSeries source, DicomExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rois = DerivedObject.Present(labels, categories, source);
        string instance = DicomUids.New();
        var now = DateTime.Now;
        var ds = DerivedObject.Start(source, options, SopClassUid, instance, "RTSTRUCT", now);
        string frameOfReference = ds.FrameOfReferenceUid;
        int plane = source.Rows * source.Columns;

        var contours = rois.Select((roi, i) =>
        {
            var items = new List<DicomObject>();
            var mask = new byte[plane];
            for (int k = 0; k < source.Slices.Count; k++)
            {
                var values = labels.Data.AsSpan(k * plane, plane);
                if (!values.Contains(roi.Label)) continue;
                for (int p = 0; p < plane; p++) mask[p] = values[p] == roi.Label ? (byte)1 : (byte)0;
                foreach (var polygon in BoundaryTracer.Trace(mask, source.Rows, source.Columns))
                    items.Add(Contour(source, k, polygon, items.Count + 1));
            }
            return new DicomObject()
                .Integers(WriteTags.ReferencedRoiNumber, i + 1)
                .Integers(WriteTags.RoiDisplayColor, Colour(roi.Label))
                .Sequence(WriteTags.ContourSequence, items);
        }).ToList();

        ds.Empty(WriteTags.OperatorsName, "PN")
            .Text(WriteTags.StructureSetLabel, "SH", options.ContentLabel)
            .Name(WriteTags.StructureSetName, "LO", options.SeriesDescription)
            .Text(WriteTags.StructureSetDate, "DA", DerivedObject.Da(now))
            .Text(WriteTags.StructureSetTime, "TM", DerivedObject.Tm(now))
            .Sequence(WriteTags.ReferencedFrameOfReferenceSequence, new DicomObject()
                .Text(DicomTag.FrameOfReferenceUid, "UI", frameOfReference)
                .Sequence(WriteTags.RtReferencedStudySequence, new DicomObject()
                    .Text(WriteTags.ReferencedSopClassUid, "UI", StudyReferenceClassUid)
                    .Text(WriteTags.ReferencedSopInstanceUid, "UI", source.StudyInstanceUid)
                    .Sequence(WriteTags.RtReferencedSeriesSequence, new DicomObject()
                        .Text(DicomTag.SeriesInstanceUid, "UI", source.SeriesInstanceUid)
                        .Sequence(WriteTags.ContourImageSequence, source.Slices.Select(ImageReference)))))
            .Sequence(WriteTags.StructureSetRoiSequence, rois.Select((roi, i) => new DicomObject()
                .Integers(WriteTags.RoiNumber, i + 1)
                .Text(WriteTags.ReferencedFrameOfReferenceUid, "UI", frameOfReference)
                .Name(WriteTags.RoiName, "LO", roi.Name)
                .Text(WriteTags.RoiGenerationAlgorithm, "CS", "AUTOMATIC")))
            .Sequence(WriteTags.RoiContourSequence, contours)
            .Sequence(WriteTags.RtRoiObservationsSequence, rois.Select((roi, i) => new DicomObject()
                .Integers(WriteTags.ObservationNumber, i + 1)
                .Integers(WriteTags.ReferencedRoiNumber, i + 1)
                .Text(WriteTags.RtRoiInterpretedType, "CS", "ORGAN")
                .Empty(WriteTags.RoiInterpreter, "PN")));
        return DicomPart10Writer.Encode(ds, SopClassUid, instance);
    }

    /// <summary><see cref="Encode"/> written atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, Volume labels, IReadOnlyList<LabelCategory> categories, DicomSourceSeries source, DicomExportOptions options) =>
        AtomicFile.WriteAllBytes(path, Encode(labels, categories, source, options));

    /// <summary>One closed planar contour (PS3.3 C.8.8.6): the polygon's vertices mapped from the vertex grid to patient coordinates.</summary>
    static DicomObject Contour(DicomSourceSeries source, int k, List<(int X, int Y)> polygon, int number)
    {
        var data = new string[polygon.Count * 3];
        for (int i = 0; i < polygon.Count; i++)
        {
            // Vertex (x, y) is the corner between pixel centres: column x − ½, row y − ½.
            var p = source.PatientPoint(k, polygon[i].X - 0.5, polygon[i].Y - 0.5);
            for (int a = 0; a < 3; a++)
                data[3 * i + a] = Math.Round(p[a], 3).ToString("0.###", CultureInfo.InvariantCulture);
        }
        return new DicomObject()
            .Sequence(WriteTags.ContourImageSequence, ImageReference(source.Slices[k]))
            .Text(WriteTags.ContourGeometricType, "CS", "CLOSED_PLANAR")
            .Integers(WriteTags.NumberOfContourPoints, polygon.Count)
            .Integers(WriteTags.ContourNumber, number)
            .Text(WriteTags.ContourData, "DS", data);
    }

    static DicomObject ImageReference(DicomSourceSlice slice)
    {
        var item = new DicomObject()
            .Text(WriteTags.ReferencedSopClassUid, "UI", slice.SopClassUid)
            .Text(WriteTags.ReferencedSopInstanceUid, "UI", slice.SopInstanceUid);
        if (slice.FrameNumber is { } n) item.Integers(WriteTags.ReferencedFrameNumber, n);
        return item;
    }

    /// <summary>A distinct display colour per label value (a fixed 10-colour palette, repeated).</summary>
    static int[] Colour(int label)
    {
        int[][] palette = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                           [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]];
        return palette[(label - 1) % palette.Length];
    }
}
