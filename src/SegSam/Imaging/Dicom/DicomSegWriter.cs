using SegSam.Imaging.Dicom.Writing;
using SegSam.IO;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Writes a label volume on a DICOM series' grid as a DICOM Segmentation (Segmentation IOD,
/// PS3.3 A.51; Segmentation Image module C.8.20.2): BINARY, one segment per category present,
/// one 1-bit frame per source slice where the segment has voxels, frames ordered by segment then
/// slice. Each frame's Per-frame Functional Groups hold its Plane Position (Patient), Segment
/// Identification, Frame Content (Dimension Index Values: segment number, slice index 1…n) and
/// Derivation Image (the source instance); the Shared Functional Groups hold Plane Orientation
/// and Pixel Measures. The Dimension Index Sequence names Referenced Segment Number and Image
/// Position (Patient); the Referenced Series Sequence lists every source instance. Study,
/// patient and Frame of Reference come from the source; the series and instance UIDs are new
/// (<see cref="DicomUids"/>). Explicit VR little endian.
/// </summary>
public static class DicomSegWriter
{
    /// <summary>Segmentation Storage (PS3.4 B.5).</summary>
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.66.4";

    /// <summary>
    /// The Part 10 bytes of the segmentation of <paramref name="labels"/> (voxel (i, j, k) = column
    /// i, row j of source slice k; value = a <see cref="LabelCategory.Label"/>). Categories without
    /// voxels are left out; a volume without labelled voxels, a value without a category or a
    /// volume not on the source grid is an <see cref="ArgumentException"/>.
    /// </summary>
    public static byte[] Encode(Volume labels, IReadOnlyList<LabelCategory> categories, DicomSourceSeries source, DicomExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var segments = DerivedObject.Present(labels, categories, source);
        string instance = DicomUids.New();
        var now = DateTime.Now;
        var ds = DerivedObject.Start(source, options, SopClassUid, instance, "SEG", now);
        string date = DerivedObject.Da(now), time = DerivedObject.Tm(now);
        int rows = source.Rows, columns = source.Columns, plane = rows * columns;

        // Frames: per segment, the slices holding it, in slice order.
        var frames = new List<(int Segment, int Slice)>();
        for (int s = 0; s < segments.Count; s++)
            for (int k = 0; k < source.Slices.Count; k++)
            {
                float label = segments[s].Label;
                var planeData = labels.Data.AsSpan(k * plane, plane);
                if (planeData.Contains(label)) frames.Add((s + 1, k));
            }

        // 1-bit pixels packed across frame boundaries, first pixel in the least significant bit (PS3.5 §8.1.1, §8.2).
        long bits = (long)frames.Count * plane;
        var packed = new byte[(bits + 7) / 8];
        long bit = 0;
        foreach (var (segment, k) in frames)
        {
            float label = segments[segment - 1].Label;
            var planeData = labels.Data.AsSpan(k * plane, plane);
            for (int i = 0; i < plane; i++, bit++)
                if (planeData[i] == label) packed[bit >> 3] |= (byte)(1 << (int)(bit & 7));
        }

        string organization = DicomUids.New();
        ds.Text(WriteTags.ImageType, "CS", "DERIVED", "PRIMARY")
            .Text(WriteTags.ContentDate, "DA", date)
            .Text(WriteTags.ContentTime, "TM", time)
            .Text(WriteTags.ContentLabel, "CS", options.ContentLabel)
            .Name(WriteTags.ContentDescription, "LO", options.SeriesDescription)
            .Empty(WriteTags.ContentCreatorName, "PN")
            .UShort(DicomTag.SamplesPerPixel, 1)
            .Text(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME2")
            .UShort(DicomTag.Rows, (ushort)rows)
            .UShort(DicomTag.Columns, (ushort)columns)
            .UShort(DicomTag.BitsAllocated, 1)
            .UShort(DicomTag.BitsStored, 1)
            .UShort(DicomTag.HighBit, 0)
            .UShort(DicomTag.PixelRepresentation, 0)
            .Text(WriteTags.LossyImageCompression, "CS", "00")
            .Text(WriteTags.SegmentationType, "CS", "BINARY")
            .Integers(DicomTag.NumberOfFrames, frames.Count)
            .Sequence(WriteTags.SegmentSequence, segments.Select((c, i) => Segment(i + 1, c, options)))
            .Sequence(WriteTags.CodingSchemeIdentificationSequence, LocalCodes.SchemeIdentification())
            .Sequence(WriteTags.DimensionOrganizationSequence, new DicomObject().Text(WriteTags.DimensionOrganizationUid, "UI", organization))
            .Text(WriteTags.DimensionOrganizationType, "CS", "3D")
            .Sequence(WriteTags.DimensionIndexSequence,
                Dimension(organization, WriteTags.ReferencedSegmentNumber, WriteTags.SegmentIdentificationSequence, "Segment Number"),
                Dimension(organization, DicomTag.ImagePositionPatient, DicomTag.PlanePositionSequence, "Image Position"))
            .Sequence(DicomTag.SharedFunctionalGroupsSequence, new DicomObject()
                .Sequence(DicomTag.PlaneOrientationSequence, new DicomObject().Decimals(DicomTag.ImageOrientationPatient, [.. source.Orientation]))
                .Sequence(DicomTag.PixelMeasuresSequence, new DicomObject()
                    .Decimals(DicomTag.PixelSpacing, [.. source.PixelSpacing])
                    .Decimals(DicomTag.SliceThickness, source.SliceThickness is > 0 ? source.SliceThickness.Value : source.SliceSpacing)
                    .Decimals(DicomTag.SpacingBetweenSlices, source.SliceSpacing)))
            .Sequence(DicomTag.PerFrameFunctionalGroupsSequence, frames.Select(f => Frame(f.Segment, f.Slice, source)))
            .Sequence(WriteTags.ReferencedSeriesSequence, ReferencedSeries(source))
            .Bytes(DicomTag.PixelData, "OB", packed);
        return DicomPart10Writer.Encode(ds, SopClassUid, instance);
    }

    /// <summary><see cref="Encode"/> written atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, Volume labels, IReadOnlyList<LabelCategory> categories, DicomSourceSeries source, DicomExportOptions options) =>
        AtomicFile.WriteAllBytes(path, Encode(labels, categories, source, options));

    /// <summary>Segment Description macro (PS3.3 Table 10-25) with Segmentation Algorithm Identification (Table 10-19).</summary>
    static DicomObject Segment(int number, LabelCategory category, DicomExportOptions options) => new DicomObject()
        .UShort(WriteTags.SegmentNumber, (ushort)number)
        .Name(WriteTags.SegmentLabel, "LO", category.Name)
        .Text(WriteTags.SegmentDescription, "ST", $"label value {category.Label}")
        .Text(WriteTags.SegmentAlgorithmType, "CS", "AUTOMATIC")
        .Name(WriteTags.SegmentAlgorithmName, "LO", options.AlgorithmName)
        .Sequence(WriteTags.SegmentationAlgorithmIdentificationSequence, new DicomObject()
            .Sequence(WriteTags.AlgorithmFamilyCodeSequence, LocalCodes.Code("MODEL", LocalCodes.Scheme, "SegSam segmentation model"))
            .Name(WriteTags.AlgorithmName, "LO", options.AlgorithmName)
            .Name(WriteTags.AlgorithmVersion, "LO", options.AlgorithmVersion))
        .Sequence(WriteTags.SegmentedPropertyCategoryCodeSequence, LocalCodes.Category())
        .Sequence(WriteTags.SegmentedPropertyTypeCodeSequence, LocalCodes.Type(category.Name));

    static DicomObject Dimension(string organization, DicomTag pointer, DicomTag group, string label) => new DicomObject()
        .Text(WriteTags.DimensionOrganizationUid, "UI", organization)
        .Tags(WriteTags.DimensionIndexPointer, pointer)
        .Tags(WriteTags.FunctionalGroupPointer, group)
        .Text(WriteTags.DimensionDescriptionLabel, "LO", label);

    static DicomObject Frame(int segment, int k, DicomSourceSeries source)
    {
        var slice = source.Slices[k];
        var reference = new DicomObject()
            .Text(WriteTags.ReferencedSopClassUid, "UI", slice.SopClassUid)
            .Text(WriteTags.ReferencedSopInstanceUid, "UI", slice.SopInstanceUid)
            .Sequence(WriteTags.PurposeOfReferenceCodeSequence, LocalCodes.SourceImagePurpose());
        if (slice.FrameNumber is { } n) reference.Integers(WriteTags.ReferencedFrameNumber, n);
        return new DicomObject()
            .Sequence(WriteTags.DerivationImageSequence, new DicomObject()
                .Sequence(WriteTags.SourceImageSequence, reference)
                .Sequence(WriteTags.DerivationCodeSequence, LocalCodes.SegmentationDerivation()))
            .Sequence(WriteTags.FrameContentSequence, new DicomObject().ULong(WriteTags.DimensionIndexValues, (uint)segment, (uint)(k + 1)))
            .Sequence(DicomTag.PlanePositionSequence, new DicomObject().Decimals(DicomTag.ImagePositionPatient, [.. slice.Position]))
            .Sequence(WriteTags.SegmentIdentificationSequence, new DicomObject().UShort(WriteTags.ReferencedSegmentNumber, (ushort)segment));
    }

    /// <summary>Common Instance Reference module (PS3.3 C.12.2): the source series and each of its instances once.</summary>
    internal static DicomObject ReferencedSeries(DicomSourceSeries source) => new DicomObject()
        .Text(DicomTag.SeriesInstanceUid, "UI", source.SeriesInstanceUid)
        .Sequence(WriteTags.ReferencedInstanceSequence, source.Slices.DistinctBy(s => s.SopInstanceUid).Select(s => new DicomObject()
            .Text(WriteTags.ReferencedSopClassUid, "UI", s.SopClassUid)
            .Text(WriteTags.ReferencedSopInstanceUid, "UI", s.SopInstanceUid)));
}
