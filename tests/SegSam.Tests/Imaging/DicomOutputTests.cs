using System.Diagnostics;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;
using Xunit.Abstractions;

namespace SegSam.Tests.Imaging;

/// <summary>
/// DICOM SEG and RTSTRUCT written from a label volume on a CT series that pydicom writes (axial
/// and oblique), checked by independent tools: dciodvfy (dicom3tools) finds no errors; pydicom
/// reads both; a numpy script that knows only the source files maps the SEG's frames back by
/// their referenced SOP Instance UIDs and plane positions (the exact labels), and fills the
/// RTSTRUCT's contours with an even–odd point-in-polygon test at the pixel centres (Dice per ROI).
/// </summary>
public class DicomOutputTests(ITestOutputHelper output)
{
    internal static readonly LabelCategory[] Categories = [new(1, "Liver"), new(2, "Spleen (absent)"), new(3, "Nieren-Läsion links"), new(7, "A category name longer than sixteen characters")];

    internal static readonly DicomExportOptions Options = new() { AlgorithmName = "SegSam test model", AlgorithmVersion = "0.0-test" };

    /// <summary>
    /// A CT series of <paramref name="count"/> slices of <paramref name="rows"/> × <paramref name="columns"/>
    /// written by pydicom under shuffled names (noise around −10 HU, a bright block in the middle):
    /// axial, or tilted about two axes. With
    /// <paramref name="frameOfReference"/> false the files carry no Frame of Reference UID.
    /// </summary>
    internal static void WriteCtSeries(string folder, bool oblique, int rows = 24, int columns = 20, int count = 8, bool frameOfReference = true)
    {
        Python.Run($$"""
            import os, numpy as np, pydicom
            from pydicom.dataset import Dataset, FileMetaDataset
            from pydicom.uid import ExplicitVRLittleEndian, generate_uid
            folder, count, rows, columns = r'{{folder}}', {{count}}, {{rows}}, {{columns}}
            rng = np.random.default_rng(5)
            if {{(oblique ? "True" : "False")}}:
                a = np.deg2rad(25)
                row = np.array([np.cos(a), np.sin(a), 0.0]); col = np.array([0.0, np.cos(0.4), -np.sin(0.4)])
                col = col - row * (row @ col); col /= np.linalg.norm(col)
                row, col = np.round(row, 6), np.round(col, 6)
            else:
                row, col = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
            normal = np.cross(row, col)
            first = np.array([-60.5, 40.25, 12.0])
            study, series, frame = '1.2.826.0.1.3680043.8.498.1', generate_uid(), generate_uid()
            names = rng.permutation(count)
            for k in range(count):
                ds = Dataset()
                ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
                ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'; ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
                ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
                ds.PatientName = 'Doe^Jane'; ds.PatientID = 'P-15'; ds.PatientBirthDate = '19700101'; ds.PatientSex = 'F'
                ds.StudyInstanceUID = study; ds.StudyDate = '20240102'; ds.StudyTime = '101500'; ds.StudyID = 'S1'
                ds.AccessionNumber = 'A-1'; ds.ReferringPhysicianName = ''; ds.StudyDescription = 'CT abdomen'
                ds.SeriesInstanceUID = series; ds.SeriesNumber = 3; ds.Modality = 'CT'; ds.InstanceNumber = int(names[k]) + 1
                if {{(frameOfReference ? "True" : "False")}}:
                    ds.FrameOfReferenceUID = frame; ds.PositionReferenceIndicator = ''
                ds.Rows, ds.Columns = rows, columns
                ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
                ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
                ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
                ds.PixelSpacing = [0.8, 0.7]; ds.SliceThickness = 2.0
                ds.ImageOrientationPatient = [float(x) for x in np.concatenate([row, col])]
                ds.ImagePositionPatient = [float('%.6f' % x) for x in first + normal * 2.0 * k]
                img = rng.integers(990, 1070, (rows, columns))
                img[rows // 4: 3 * rows // 4, columns // 4: 3 * columns // 4] += 1200  # a bright block for prompts to find
                ds.PixelData = img.astype('<i2').tobytes()
                ds.is_little_endian, ds.is_implicit_VR = True, False
                ds.save_as(os.path.join(folder, 'IM%04d' % names[k]), write_like_original=False)
            """);
    }

    /// <summary>
    /// Labels on the series' grid: 1 = a disc with a hole on slices 1–5, 3 = two blobs and two
    /// pixels touching only at a corner on slices 2–6, 7 = a thin line on slice 0 and a single
    /// pixel at the border of the last slice.
    /// </summary>
    internal static Volume Labels(DicomSourceSeries source)
    {
        int nx = source.Columns, ny = source.Rows, nz = source.Slices.Count;
        var data = new float[nx * ny * nz];
        void Set(int i, int j, int k, int v) => data[i + nx * (j + ny * k)] = v;
        for (int k = 1; k <= 5; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++)
                {
                    double d = Math.Sqrt((i - 8.0) * (i - 8.0) + (j - 9.0) * (j - 9.0));
                    if (d <= 3 + k * 0.4 && d > 1.5) Set(i, j, k, 1);
                }
        for (int k = 2; k <= 6; k++)
        {
            for (int j = 16; j < 21; j++) for (int i = 12; i < 18; i++) Set(i, j, k, 3);
            for (int j = 2; j < 4; j++) for (int i = 14; i < 17; i++) Set(i, j, k, 3);
            Set(18, 10, k, 3);
            Set(19, 11, k, 3);
        }
        for (int i = 2; i < 15; i++) Set(i, 22, 0, 7);
        Set(nx - 1, 0, nz - 1, 7);
        return new Volume([nx, ny, nz], data, Volume.Identity());
    }

    /// <summary>dciodvfy's report; fails on any "Error" line.</summary>
    internal static string AssertDciodvfyFindsNoErrors(string file)
    {
        var psi = new ProcessStartInfo("dciodvfy") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string report = p.StandardError.ReadToEnd() + stdout.Result;
        p.WaitForExit();
        var errors = report.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"dciodvfy {file}:\n{report}");
        return report;
    }

    /// <summary>
    /// The independent check: numpy and pydicom only. Orders the source slices (files, or frames of
    /// a multi-frame file, keyed by SOP Instance UID and frame number) along their normal,
    /// rebuilds the label volume from the SEG (segment label → value from <paramref name="names"/>),
    /// rasterises each RTSTRUCT ROI's contours (even–odd at pixel centres), and prints JSON.
    /// </summary>
    internal static JsonElement IndependentCheck(string series, string seg, string rtstruct, string expected, IReadOnlyList<LabelCategory> names)
    {
        string table = string.Join(", ", names.Select(n => $"{JsonSerializer.Serialize(n.Name)}: {n.Label}"));
        var run = Python.Run($$"""
            import glob, json, numpy as np, pydicom
            names = { {{table}} }
            # One entry per slice: (SOP Instance UID, frame number or None, Image Position); a
            # multi-frame file (functional groups) gives one per frame.
            slices, files = [], [pydicom.dcmread(f) for f in glob.glob(r'{{series}}/*')]
            for d in files:
                if 'PerFrameFunctionalGroupsSequence' in d:
                    shared = d.SharedFunctionalGroupsSequence[0]
                    o, spacing = shared.PlaneOrientationSequence[0].ImageOrientationPatient, shared.PixelMeasuresSequence[0].PixelSpacing
                    for f, item in enumerate(d.PerFrameFunctionalGroupsSequence):
                        slices.append((d.SOPInstanceUID, f + 1, np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)))
                else:
                    o, spacing = d.ImageOrientationPatient, d.PixelSpacing
                    slices.append((d.SOPInstanceUID, None, np.array(d.ImagePositionPatient, float)))
            o = np.array(o, float); row, col = o[:3], o[3:]; normal = np.cross(row, col)
            slices.sort(key=lambda s: float(np.dot(normal, s[2])))
            by_key = {(s[0], s[1]): k for k, s in enumerate(slices)}
            def slice_of(ref):
                return by_key[(ref.ReferencedSOPInstanceUID, int(ref.ReferencedFrameNumber) if 'ReferencedFrameNumber' in ref else None)]
            rows, cols = files[0].Rows, files[0].Columns
            dr, dc = map(float, spacing)
            study = files[0].StudyInstanceUID
            expected = np.fromfile(r'{{expected}}', '<f4').reshape(len(slices), rows, cols).astype(int)
            out = {}

            seg = pydicom.dcmread(r'{{seg}}')
            frames = seg.pixel_array.reshape(-1, rows, cols)
            labels = np.zeros_like(expected)
            segment_value = {s.SegmentNumber: names[s.SegmentLabel] for s in seg.SegmentSequence}
            positions_ok = True
            for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
                k = slice_of(item.DerivationImageSequence[0].SourceImageSequence[0])
                pos = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
                positions_ok &= bool(np.allclose(pos, slices[k][2], atol=1e-4))
                value = segment_value[item.SegmentIdentificationSequence[0].ReferencedSegmentNumber]
                labels[k][frames[f] == 1] = value
            out['seg_exact'] = bool((labels == expected).all())
            out['seg_positions'] = positions_ok
            out['seg_frames'] = int(seg.NumberOfFrames)
            out['seg_segments'] = [s.SegmentLabel for s in seg.SegmentSequence]
            out['seg_study'] = seg.StudyInstanceUID == study
            out['seg_for'] = seg.FrameOfReferenceUID == files[0].get('FrameOfReferenceUID', seg.FrameOfReferenceUID)
            out['seg_algorithm'] = seg.SegmentSequence[0].SegmentAlgorithmName
            out['patient'] = str(seg.PatientName)

            rt = pydicom.dcmread(r'{{rtstruct}}')
            def inside(poly, px, py):
                # even-odd crossing test of every point (px, py) against one polygon
                x, y = poly[:, 0], poly[:, 1]; x2, y2 = np.roll(x, -1), np.roll(y, -1)
                res = np.zeros(px.shape, bool)
                for a, b, c, d in zip(x, y, x2, y2):
                    if b == d: continue
                    cross = ((b > py) != (d > py)) & (px < a + (py - b) * (c - a) / (d - b))
                    res ^= cross
                return res
            py, px = np.mgrid[0:rows, 0:cols].astype(float)
            roi_names = {r.ROINumber: r.ROIName for r in rt.StructureSetROISequence}
            dice, off_plane = {}, 0.0
            for rc in rt.ROIContourSequence:
                name = roi_names[rc.ReferencedROINumber]
                mask = np.zeros_like(expected, bool)
                for c in rc.ContourSequence:
                    assert c.ContourGeometricType == 'CLOSED_PLANAR'
                    k = slice_of(c.ContourImageSequence[0])
                    p = np.array(c.ContourData, float).reshape(-1, 3) - slices[k][2]
                    assert len(p) == c.NumberOfContourPoints
                    off_plane = max(off_plane, float(np.abs(p @ normal).max()))
                    poly = np.stack([p @ row / dc, p @ col / dr], 1)
                    mask[k] ^= inside(poly, px, py)
                truth = expected == names[name]
                dice[name] = float(2 * (mask & truth).sum() / (mask.sum() + truth.sum()))
            out['rt_dice'] = dice
            out['rt_off_plane_mm'] = off_plane
            out['rt_study'] = rt.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].ReferencedSOPInstanceUID == study
            out['rt_images'] = len(rt.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0].ContourImageSequence)
            print(json.dumps(out))
            """);
        return JsonDocument.Parse(run.StdOut).RootElement.Clone();
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void SegAndRtStructPassDciodvfyAndMapBackOntoTheSourceGrid(bool oblique, bool frameOfReference)
    {
        using var dir = new TempDir();
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        WriteCtSeries(series, oblique, frameOfReference: frameOfReference);
        var source = DicomSeries.ReadSource(series);
        var labels = Labels(source);
        string seg = dir.File("out.seg.dcm"), rt = dir.File("out.rtstruct.dcm"), expected = dir.File("labels.f32");
        DicomSegWriter.Write(seg, labels, Categories, source, Options);
        DicomRtStructWriter.Write(rt, labels, Categories, source, Options);
        File.WriteAllBytes(expected, labels.Data.SelectMany(BitConverter.GetBytes).ToArray());

        output.WriteLine(AssertDciodvfyFindsNoErrors(seg));
        output.WriteLine(AssertDciodvfyFindsNoErrors(rt));
        var r = IndependentCheck(series, seg, rt, expected, Categories);
        output.WriteLine(r.ToString());
        Assert.True(r.GetProperty("seg_exact").GetBoolean(), r.ToString());
        Assert.True(r.GetProperty("seg_positions").GetBoolean(), r.ToString());
        Assert.True(r.GetProperty("seg_study").GetBoolean());
        Assert.True(r.GetProperty("seg_for").GetBoolean());
        Assert.True(r.GetProperty("rt_study").GetBoolean());
        Assert.Equal("Doe^Jane", r.GetProperty("patient").GetString());
        Assert.Equal("SegSam test model", r.GetProperty("seg_algorithm").GetString());
        // Segments only for the categories present; frames: 5 slices of label 1, 5 of 3, 2 of 7.
        Assert.Equal(["Liver", "Nieren-Läsion links", "A category name longer than sixteen characters"],
            r.GetProperty("seg_segments").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(12, r.GetProperty("seg_frames").GetInt32());
        Assert.Equal(8, r.GetProperty("rt_images").GetInt32());
        Assert.True(r.GetProperty("rt_off_plane_mm").GetDouble() < 1e-3, r.ToString());
        foreach (var roi in r.GetProperty("rt_dice").EnumerateObject())
            Assert.True(roi.Value.GetDouble() >= 0.97, $"{roi.Name}: Dice {roi.Value.GetDouble()}");
        Assert.Equal(3, r.GetProperty("rt_dice").EnumerateObject().Count());
    }

    /// <summary>
    /// A square with 1-pixel notches all round its border: one contour of 3,200 points, whose
    /// Contour Data is longer than explicit VR lets a DS value be, so the RTSTRUCT is written in
    /// Implicit VR Little Endian; it is still valid and exact.
    /// </summary>
    [Fact]
    public void AContourTooLongForExplicitVrIsWrittenInImplicitVr()
    {
        using var dir = new TempDir();
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        WriteCtSeries(series, oblique: true, rows: 420, columns: 420, count: 2);
        var source = DicomSeries.ReadSource(series);
        var data = new float[420 * 420 * 2];
        for (int j = 10; j < 410; j++)
            for (int i = 10; i < 410; i++)
            {
                bool border = i == 10 || i == 409 || j == 10 || j == 409;
                if (!border || (i + j) % 2 == 0) data[i + 420 * j] = 1;
            }
        var labels = new Volume([420, 420, 2], data, Volume.Identity());
        string seg = dir.File("out.seg.dcm"), rt = dir.File("out.rtstruct.dcm"), expected = dir.File("labels.f32");
        DicomSegWriter.Write(seg, labels, Categories, source, Options);
        DicomRtStructWriter.Write(rt, labels, Categories, source, Options);
        File.WriteAllBytes(expected, data.SelectMany(BitConverter.GetBytes).ToArray());

        Assert.Equal(TransferSyntax.ExplicitVrLittleEndian.Uid, DicomFile.Read(seg, readPixels: false).TransferSyntax.Uid);
        var read = DicomFile.Read(rt);
        Assert.Equal(TransferSyntax.ImplicitVrLittleEndian.Uid, read.TransferSyntax.Uid);
        AssertDciodvfyFindsNoErrors(seg);
        AssertDciodvfyFindsNoErrors(rt);
        var r = IndependentCheck(series, seg, rt, expected, Categories);
        output.WriteLine(r.ToString());
        Assert.True(r.GetProperty("seg_exact").GetBoolean(), r.ToString());
        Assert.True(r.GetProperty("rt_dice").GetProperty("Liver").GetDouble() >= 0.97, r.ToString());
    }

    /// <summary>
    /// A multi-frame source: one file whose 8 oblique frames are placed by Per-frame Functional
    /// Groups (Plane Position) and Shared ones (Plane Orientation, Pixel Measures). The SEG's
    /// Source Image and the RTSTRUCT's Contour Image references carry Referenced Frame Numbers.
    /// </summary>
    [Fact]
    public void AMultiFrameSourceIsReferencedFrameByFrame()
    {
        using var dir = new TempDir();
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        Python.Run($$"""
            import os, numpy as np, pydicom
            from pydicom.dataset import Dataset, FileMetaDataset
            from pydicom.sequence import Sequence
            from pydicom.uid import ExplicitVRLittleEndian, generate_uid
            rows, columns, frames = 24, 20, 8
            a = np.deg2rad(25)
            row = np.round([np.cos(a), np.sin(a), 0.0], 6); col = np.round([0.0, np.cos(0.4), -np.sin(0.4)], 6)
            col = col - row * (row @ col); col = np.round(col / np.linalg.norm(col), 6); normal = np.cross(row, col)
            ds = Dataset()
            ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2.1'; ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
            ds.PatientName = 'Doe^Jane'; ds.PatientID = 'P-15'; ds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid()
            ds.FrameOfReferenceUID = generate_uid(); ds.Modality = 'CT'; ds.InstanceNumber = 1
            ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
            ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
            shared = Dataset()
            orientation = Dataset(); orientation.ImageOrientationPatient = [float(x) for x in np.concatenate([row, col])]
            measures = Dataset(); measures.PixelSpacing = [0.8, 0.7]; measures.SliceThickness = 2.0
            shared.PlaneOrientationSequence = Sequence([orientation]); shared.PixelMeasuresSequence = Sequence([measures])
            ds.SharedFunctionalGroupsSequence = Sequence([shared])
            per = []
            for f in [3, 0, 5, 1, 4, 2, 7, 6]:  # frames stored out of spatial order
                item, plane = Dataset(), Dataset()
                plane.ImagePositionPatient = [float('%.6f' % x) for x in np.array([-60.5, 40.25, 12.0]) + normal * 2.0 * f]
                item.PlanePositionSequence = Sequence([plane]); per.append(item)
            ds.PerFrameFunctionalGroupsSequence = Sequence(per)
            ds.PixelData = np.random.default_rng(1).integers(0, 2000, (frames, rows, columns)).astype('<u2').tobytes()
            ds.is_little_endian, ds.is_implicit_VR = True, False
            ds.save_as(os.path.join(r'{{series}}', 'enhanced.dcm'), write_like_original=False)
            """);
        var source = DicomSeries.ReadSource(Path.Combine(series, "enhanced.dcm"));
        Assert.Equal([2, 4, 6, 1, 5, 3, 8, 7], source.Slices.Select(s => s.FrameNumber!.Value));
        var labels = Labels(source);
        string seg = dir.File("out.seg.dcm"), rt = dir.File("out.rtstruct.dcm"), expected = dir.File("labels.f32");
        DicomSegWriter.Write(seg, labels, Categories, source, Options);
        DicomRtStructWriter.Write(rt, labels, Categories, source, Options);
        File.WriteAllBytes(expected, labels.Data.SelectMany(BitConverter.GetBytes).ToArray());

        AssertDciodvfyFindsNoErrors(seg);
        AssertDciodvfyFindsNoErrors(rt);
        var r = IndependentCheck(series, seg, rt, expected, Categories);
        output.WriteLine(r.ToString());
        Assert.True(r.GetProperty("seg_exact").GetBoolean(), r.ToString());
        Assert.True(r.GetProperty("seg_positions").GetBoolean(), r.ToString());
        foreach (var roi in r.GetProperty("rt_dice").EnumerateObject())
            Assert.True(roi.Value.GetDouble() >= 0.97, r.ToString());
    }

    /// <summary>A backslash in a name would split the LO value in two; it is written as '/'.</summary>
    [Fact]
    public void ABackslashInACategoryNameStaysOneValue()
    {
        using var dir = new TempDir();
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        WriteCtSeries(series, oblique: false, count: 8);
        var source = DicomSeries.ReadSource(series);
        var categories = new[] { new LabelCategory(1, @"Left\Right"), new LabelCategory(3, "b"), new LabelCategory(7, "c") };
        string seg = dir.File("out.seg.dcm"), rt = dir.File("out.rtstruct.dcm");
        DicomSegWriter.Write(seg, Labels(source), categories, source, Options);
        DicomRtStructWriter.Write(rt, Labels(source), categories, source, Options);
        var segment = DicomFile.Read(seg, readPixels: false).GetSequence(new DicomTag(0x0062, 0x0002))[0];
        Assert.Equal(["Left/Right"], segment.GetStrings(new DicomTag(0x0062, 0x0005)));
        var roi = DicomFile.Read(rt).GetSequence(new DicomTag(0x3006, 0x0020))[0];
        Assert.Equal(["Left/Right"], roi.GetStrings(new DicomTag(0x3006, 0x0026)));
    }

    [Fact]
    public void ASourceWithAnInvalidStudyUidIsRefusedNotCopiedIntoTheObject()
    {
        using var dir = new TempDir();
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        WriteCtSeries(series, oblique: false, count: 8);
        var source = DicomSeries.ReadSource(series);
        // A 207-character Study Instance UID: a SEG or RTSTRUCT carrying it would fail dciodvfy and many PACS.
        var bad = new DicomSourceSeries
        {
            Source = source.Source, Slices = source.Slices, Orientation = source.Orientation, PixelSpacing = source.PixelSpacing,
            Rows = source.Rows, Columns = source.Columns, SliceThickness = source.SliceThickness, SliceSpacing = source.SliceSpacing,
            StudyInstanceUid = string.Join(".", Enumerable.Repeat("1234567", 26)), SeriesInstanceUid = source.SeriesInstanceUid,
            FrameOfReferenceUid = source.FrameOfReferenceUid, Modality = source.Modality, Header = source.Header,
        };
        var categories = new[] { new LabelCategory(1, "a"), new LabelCategory(3, "b"), new LabelCategory(7, "c") };
        var e = Assert.Throws<InvalidDataException>(() => DicomSegWriter.Write(dir.File("out.seg.dcm"), Labels(source), categories, bad, Options));
        Assert.Contains("Study Instance UID is not a valid DICOM UID (207 characters", e.Message);
        Assert.False(File.Exists(dir.File("out.seg.dcm")));
    }
}
