using System.Diagnostics;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// The DICOM reader against independent references: pydicom (Debian's python3-pydicom 2.3 and
/// its real test files) for tags, sequences, stored pixel values and the modality rescale;
/// dcmtk's dcmconv for files re-encoded in every uncompressed transfer syntax; nibabel's
/// dicomwrappers and numpy for series geometry.
/// </summary>
public class DicomTests
{
    static readonly Lazy<string> PydicomData = new(() =>
        Python.Run("import os\nfrom pydicom.data import get_testdata_file\nprint(os.path.dirname(get_testdata_file('CT_small.dcm')))")
            .StdOut.Trim());

    internal static string TestFile(string name) => Path.Combine(PydicomData.Value, name);

    /// <summary>
    /// Writes pydicom's view of a file: stored.bin (pixel_array as int64), rescaled.bin
    /// (apply_modality_lut as float32) and header.json (attributes and every element path).
    /// </summary>
    const string PydicomReference = """
        import sys, json, numpy as np, pydicom
        from pydicom.pixel_data_handlers.util import apply_modality_lut
        path, out = sys.argv[1], sys.argv[2]
        ds = pydicom.dcmread(path, force=True)
        def walk(d, prefix):
            for e in d:
                p = prefix + '%04X,%04X' % (e.tag.group, e.tag.element)
                yield p
                if e.VR == 'SQ':
                    for i, item in enumerate(e.value):
                        yield from walk(item, p + '[%d]/' % i)
        def num(name):
            v = ds.get(name)
            if v is None or v == '': return None
            return [float(x) for x in v] if isinstance(v, pydicom.multival.MultiValue) else [float(v)]
        def text(name):
            v = ds.get(name)
            return None if v is None or str(v) == '' else str(v)
        header = {
            'paths': list(walk(ds, '')),
            'meta': ['%04X,%04X' % (e.tag.group, e.tag.element) for e in ds.file_meta] if hasattr(ds, 'file_meta') else [],
            'PatientID': text('PatientID'), 'StudyInstanceUID': text('StudyInstanceUID'),
            'SeriesInstanceUID': text('SeriesInstanceUID'), 'SOPInstanceUID': text('SOPInstanceUID'),
            'Modality': text('Modality'), 'SeriesDescription': text('SeriesDescription'),
            'PhotometricInterpretation': text('PhotometricInterpretation'),
        }
        for name in ['Rows', 'Columns', 'BitsAllocated', 'BitsStored', 'HighBit', 'PixelRepresentation', 'SamplesPerPixel',
                     'NumberOfFrames', 'InstanceNumber', 'RescaleSlope', 'RescaleIntercept', 'WindowCenter', 'WindowWidth',
                     'ImagePositionPatient', 'ImageOrientationPatient', 'PixelSpacing', 'SliceThickness']:
            header[name] = num(name)
        json.dump(header, open(out + '/header.json', 'w'))
        if 'PixelData' in ds and len(sys.argv) > 3:
            arr = ds.pixel_array
            arr.astype('<i8').tofile(out + '/stored.bin')
            np.asarray(apply_modality_lut(arr, ds)).astype('<f4').tofile(out + '/rescaled.bin')
        """;

    sealed record Reference(JsonElement Header, long[] Stored, float[] Rescaled);

    static Reference Pydicom(string file, bool pixels)
    {
        using var dir = new TempDir();
        var args = new List<string> { file, dir.Path };
        if (pixels) args.Add("pixels");
        Python.Run(PydicomReference, args);
        var header = JsonDocument.Parse(File.ReadAllText(dir.File("header.json"))).RootElement.Clone();
        long[] stored = [];
        float[] rescaled = [];
        if (pixels)
        {
            stored = Cast<long>(File.ReadAllBytes(dir.File("stored.bin")));
            rescaled = Cast<float>(File.ReadAllBytes(dir.File("rescaled.bin")));
        }
        return new Reference(header, stored, rescaled);
    }

    internal static T[] Cast<T>(byte[] bytes) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).ToArray();

    static double[]? Numbers(JsonElement header, string name) =>
        header.GetProperty(name).ValueKind == JsonValueKind.Null ? null
            : header.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    static string? Text(JsonElement header, string name) => header.GetProperty(name).GetString();

    static IEnumerable<string> Paths(DicomDataset ds, string prefix = "")
    {
        foreach (var e in ds.Elements)
        {
            if (e.Tag.Group == 0x0002) continue;
            string p = $"{prefix}{e.Tag.Group:X4},{e.Tag.Element:X4}";
            yield return p;
            for (int i = 0; i < e.Items.Count; i++)
                foreach (var q in Paths(e.Items[i], $"{p}[{i}]/")) yield return q;
        }
    }

    // ---- pixels and attributes against pydicom ------------------------------------------------

    [Theory]
    [InlineData("CT_small.dcm")]                // explicit VR LE, signed 16-bit, rescale to HU
    [InlineData("MR_small.dcm")]
    [InlineData("MR_small_bigendian.dcm")]      // explicit VR big endian
    [InlineData("MR_small_expb.dcm")]
    [InlineData("MR_small_implicit.dcm")]       // implicit VR LE
    [InlineData("MR_small_padded.dcm")]         // pixel data longer than needed
    [InlineData("image_dfl.dcm")]               // deflated explicit VR LE, 8-bit
    [InlineData("rtdose.dcm")]                  // multi-frame, 32-bit unsigned, implicit VR
    [InlineData("rtdose_1frame.dcm")]
    [InlineData("rtdose_expb.dcm")]             // multi-frame, 32-bit, big endian
    [InlineData("liver_1frame.dcm")]            // 1 bit allocated
    [InlineData("liver_expb_1frame.dcm")]
    public void StoredAndRescaledPixelsEqualPydicom(string name)
    {
        string file = TestFile(name);
        var expected = Pydicom(file, pixels: true);
        var ds = DicomFile.Read(file);
        var pixels = DicomPixelData.From(ds);

        Assert.Equal(expected.Stored, pixels.StoredValues());
        Assert.Equal(expected.Rescaled, DicomPixelData.RescaledValues(ds));
    }

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small_bigendian.dcm")]
    [InlineData("MR_small_implicit.dcm")]
    [InlineData("rtdose_expb.dcm")]
    [InlineData("JPEG2000.dcm")]
    public void TypedAttributesEqualPydicom(string name)
    {
        string file = TestFile(name);
        var h = Pydicom(file, pixels: false).Header;
        var ds = DicomFile.Read(file, readPixels: false);

        Assert.Equal(Text(h, "PatientID"), ds.PatientId);
        Assert.Equal(Text(h, "StudyInstanceUID"), ds.StudyInstanceUid);
        Assert.Equal(Text(h, "SeriesInstanceUID"), ds.SeriesInstanceUid);
        Assert.Equal(Text(h, "SOPInstanceUID"), ds.SopInstanceUid);
        Assert.Equal(Text(h, "Modality"), ds.Modality);
        Assert.Equal(Text(h, "SeriesDescription"), ds.SeriesDescription);
        Assert.Equal(Text(h, "PhotometricInterpretation"), ds.PhotometricInterpretation);
        Assert.Equal(Numbers(h, "Rows")?[0], ds.Rows);
        Assert.Equal(Numbers(h, "Columns")?[0], ds.Columns);
        Assert.Equal(Numbers(h, "BitsAllocated")?[0], ds.BitsAllocated);
        Assert.Equal(Numbers(h, "BitsStored")?[0], ds.BitsStored);
        Assert.Equal(Numbers(h, "HighBit")?[0], ds.HighBit);
        Assert.Equal(Numbers(h, "PixelRepresentation")?[0], ds.PixelRepresentation);
        Assert.Equal(Numbers(h, "SamplesPerPixel")?[0], ds.SamplesPerPixel);
        Assert.Equal(Numbers(h, "NumberOfFrames")?[0] ?? 1, ds.NumberOfFrames);
        Assert.Equal(Numbers(h, "InstanceNumber")?[0], ds.InstanceNumber);
        Assert.Equal(Numbers(h, "RescaleSlope")?[0], ds.RescaleSlope);
        Assert.Equal(Numbers(h, "RescaleIntercept")?[0], ds.RescaleIntercept);
        Assert.Equal(Numbers(h, "WindowCenter") ?? [], ds.WindowCenter);
        Assert.Equal(Numbers(h, "WindowWidth") ?? [], ds.WindowWidth);
        Assert.Equal(Numbers(h, "ImagePositionPatient"), ds.ImagePositionPatient);
        Assert.Equal(Numbers(h, "ImageOrientationPatient"), ds.ImageOrientationPatient);
        Assert.Equal(Numbers(h, "PixelSpacing"), ds.PixelSpacing);
        Assert.Equal(Numbers(h, "SliceThickness")?[0], ds.SliceThickness);
    }

    /// <summary>Every element, nested ones included, that pydicom finds is found at the same place.</summary>
    [Theory]
    [InlineData("rtplan.dcm")]                  // implicit VR, nested sequences of defined length
    [InlineData("rtstruct.dcm")]                // no meta group
    [InlineData("reportsi.dcm")]                // SR: deep nesting, undefined lengths
    [InlineData("nested_priv_SQ.dcm")]          // private sequences in implicit VR
    [InlineData("priv_SQ.dcm")]
    [InlineData("UN_sequence.dcm")]             // undefined-length UN holding a sequence
    [InlineData("waveform_ecg.dcm")]
    [InlineData("test-SR.dcm")]
    [InlineData("ExplVR_LitEndNoMeta.dcm")]     // explicit VR LE, no preamble, no meta
    [InlineData("ExplVR_BigEndNoMeta.dcm")]     // explicit VR BE, no preamble, no meta
    [InlineData("meta_missing_tsyntax.dcm")]    // meta group without a Transfer Syntax UID
    [InlineData("SC_rgb_jpeg.dcm")]             // declares explicit VR, written in implicit VR
    [InlineData("no_meta_group_length.dcm")]
    [InlineData("empty_charset_LEI.dcm")]
    [InlineData("JPEG2000.dcm")]                // encapsulated pixel data skipped by fragments
    [InlineData("JPEG2000-embedded-sequence-delimiter.dcm")]
    [InlineData("SC_rgb_rle_2frame.dcm")]
    [InlineData("CT_small.dcm")]
    [InlineData("image_dfl.dcm")]
    public void ElementTreeEqualsPydicom(string name)
    {
        string file = TestFile(name);
        var h = Pydicom(file, pixels: false).Header;
        var ds = DicomFile.Read(file, readPixels: false);

        var theirs = h.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList();
        var ours = Paths(ds).ToList();
        Assert.Equal(theirs.Where(p => !p.Contains('/')), ours.Where(p => !p.Contains('/')));
        Assert.Empty(theirs.Except(ours));
        var meta = h.GetProperty("meta").EnumerateArray().Select(p => p.GetString()!);
        Assert.Equal(meta, ds.Elements.Where(e => e.Tag.Group == 0x0002).Select(e => $"{e.Tag.Group:X4},{e.Tag.Element:X4}"));
    }

    [Fact]
    public void NestedSequenceValuesAreRead()
    {
        var ds = DicomFile.Read(TestFile("rtplan.dcm"));
        Assert.Equal(2, ds.GetSequence(new DicomTag(0x300A, 0x0010)).Count);       // Dose Reference Sequence
        var beams = ds.GetSequence(new DicomTag(0x300A, 0x00B0));
        var beam = Assert.Single(beams);
        var controlPoints = beam.GetSequence(new DicomTag(0x300A, 0x0111));
        Assert.Equal(2, controlPoints.Count);
        var device = controlPoints[0].GetSequence(new DicomTag(0x300A, 0x011A))[0];
        Assert.Equal("X", device.GetString(new DicomTag(0x300A, 0x00B8)));
        // Leaf/Jaw Positions is outside the small dictionary, so in implicit VR it is UN: read as text.
        Assert.Equal(["-100.00000000000", "100.000000000000"], device.GetStrings(new DicomTag(0x300A, 0x011C)));
        Assert.Same(beam, device.Parent!.Parent);
    }

    // ---- dcmtk re-encodings -------------------------------------------------------------------

    internal static void Dcmtk(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {err}");
    }

    /// <summary>dcmconv writes CT_small in each native syntax, also with undefined sequence/item lengths; the HU stay pydicom's.</summary>
    [Theory]
    [InlineData("+ti", false, "1.2.840.10008.1.2")]
    [InlineData("+te", true, "1.2.840.10008.1.2.1")]
    [InlineData("+tb", true, "1.2.840.10008.1.2.2")]
    [InlineData("+td", true, "1.2.840.10008.1.2.1.99")]
    [InlineData("+ti", true, "1.2.840.10008.1.2")]
    public void DcmtkReencodedFilesKeepTheirValues(string syntax, bool undefinedLengths, string uid)
    {
        using var dir = new TempDir();
        string source = TestFile("CT_small.dcm");
        string file = dir.File("ct.dcm");
        Dcmtk("dcmconv", undefinedLengths ? [syntax, "-e", source, file] : [syntax, source, file]);
        var expected = Pydicom(source, pixels: true);

        var ds = DicomFile.Read(file);
        Assert.Equal(uid, ds.TransferSyntax.Uid);
        Assert.Equal(expected.Rescaled, DicomPixelData.RescaledValues(ds));
        Assert.Equal(expected.Header.GetProperty("paths").EnumerateArray().Select(p => p.GetString()), Paths(ds));
    }

    // ---- compressed data ----------------------------------------------------------------------

    /// <summary>Syntaxes without a decoder here (video, private) are refused by name; the file is MR_small_RLE.dcm relabelled.</summary>
    [Theory]
    [InlineData("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level 1.2.840.10008.1.2.4.100")]
    [InlineData("1.2.3.4.5.6", "unknown transfer syntax 1.2.3.4.5.6")]
    public void CompressedPixelDataIsRefusedByName(string uid, string syntax)
    {
        using var dir = new TempDir();
        string file = dir.File("relabelled.dcm");
        Python.Run($"""
            import pydicom
            ds = pydicom.dcmread('{TestFile("MR_small_RLE.dcm")}')
            ds.file_meta.TransferSyntaxUID = '{uid}'
            ds.is_little_endian, ds.is_implicit_VR = True, False
            ds.save_as('{file}')
            """);
        var e = Assert.Throws<UnsupportedTransferSyntaxException>(() => DicomFile.Read(file));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(syntax, e.Message);
        Assert.Contains("decompress it first", e.Message);

        // The header is still readable, and the series loader reports the same problem.
        Assert.NotNull(DicomFile.Read(file, readPixels: false).Rows);
        var fromSeries = Assert.Throws<UnsupportedTransferSyntaxException>(() => DicomSeries.Load(file));
        Assert.Contains(syntax, fromSeries.Message);
    }

    // ---- pixel decoding details ---------------------------------------------------------------

    /// <summary>
    /// 12 bits stored in 16: the unused high bits (garbage here) are masked and the 12-bit value
    /// sign-extended, as pydicom ≥ 3 does; Debian's pydicom 2.3 does not mask, so numpy is the reference.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void BitsStoredAreMaskedAndSignExtended(int representation)
    {
        using var dir = new TempDir();
        string file = dir.File("masked.dcm");
        Python.Run($$"""
            import numpy as np, pydicom
            from pydicom.data import get_testdata_file
            ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))
            ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, {{representation}}
            raw = np.random.default_rng(1).integers(0, 65536, ds.Rows * ds.Columns, dtype=np.uint16)
            raw[:4] = [0x0FFF, 0xF000, 0x0800, 0x7001]
            ds.PixelData = raw.astype('<u2').tobytes()
            ds.save_as('{{file}}')
            v = (raw & 0x0FFF).astype(np.int64)
            if {{representation}}: v = np.where(v >= 0x800, v - 0x1000, v)
            v.astype('<i8').tofile('{{dir.File("expected.bin")}}')
            """);
        var stored = DicomPixelData.From(DicomFile.Read(file)).StoredValues();
        Assert.Equal(Cast<long>(File.ReadAllBytes(dir.File("expected.bin"))), stored);
        Assert.Equal(representation == 1 ? [-1L, 0, -2048, 1] : [4095L, 0, 2048, 1], stored[..4]);
    }

    /// <summary>
    /// 8-bit data stored as OW in big endian is a stream of 16-bit words, so byte pairs are
    /// swapped on disk. dcmtk reads it so (its little-endian re-encoding equals the original);
    /// Debian's pydicom 2.3 does not, so the reference is the original file's pixel_array.
    /// </summary>
    [Fact]
    public void BigEndianOwBytesAreSwappedInPairs()
    {
        using var dir = new TempDir();
        string file = dir.File("be-ow.dcm");
        Python.Run($"""
            import numpy as np, pydicom
            from pydicom.data import get_testdata_file
            ds = pydicom.dcmread(get_testdata_file('image_dfl.dcm'))
            ds.PixelData = np.frombuffer(ds.PixelData, np.uint8).reshape(-1, 2)[:, ::-1].tobytes()
            ds['PixelData'].VR = 'OW'
            ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
            ds.is_little_endian, ds.is_implicit_VR = False, False
            ds.save_as('{file}')
            """);
        string little = dir.File("le.dcm");
        Dcmtk("dcmconv", "+te", file, little);
        var expected = Pydicom(TestFile("image_dfl.dcm"), pixels: true).Stored;

        Assert.Equal(expected, DicomPixelData.From(DicomFile.Read(file)).StoredValues());
        Assert.Equal(expected, DicomPixelData.From(DicomFile.Read(little)).StoredValues());
    }

    /// <summary>Colour images are read as RGB (more in <see cref="DicomColourTests"/>): SC_rgb_small_odd's 3 × 3 pixels as pydicom gives them.</summary>
    [Fact]
    public void ColourImagesAreReadAsRgb()
    {
        string file = TestFile("SC_rgb_small_odd.dcm");
        var pixels = DicomPixelData.From(DicomFile.Read(file));
        Assert.Equal(3, pixels.SamplesPerPixel);
        var expected = Pydicom(file, pixels: true).Stored;
        Assert.Equal(expected, pixels.StoredValues());
    }

    // ---- single files as volumes --------------------------------------------------------------

    /// <summary>The affine numpy builds from the tags with the documented convention, LPS → RAS.</summary>
    const string AffineFromTags = """
        import numpy as np
        def affine(iop, ps, first, step):
            iop = np.array(iop, float); a = np.eye(4)
            a[:3, 0] = iop[:3] * float(ps[1]); a[:3, 1] = iop[3:] * float(ps[0])
            a[:3, 2] = step; a[:3, 3] = np.array(first, float)
            return np.diag([-1, -1, 1, 1]) @ a
        """;

    static double[,] ReadAffine(string path)
    {
        var v = Cast<double>(File.ReadAllBytes(path));
        var a = new double[4, 4];
        for (int i = 0; i < 16; i++) a[i / 4, i % 4] = v[i];
        return a;
    }

    static void AssertAffine(double[,] expected, double[,] actual)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(expected[r, c] - actual[r, c]) < 1e-9, $"affine[{r},{c}]: expected {expected[r, c]}, got {actual[r, c]}");
    }

    [Fact]
    public void SingleSliceLoadsAsVolume()
    {
        using var dir = new TempDir();
        string file = TestFile("CT_small.dcm");
        Python.Run(AffineFromTags + $"""

            import pydicom
            from pydicom.pixel_data_handlers.util import apply_modality_lut
            ds = pydicom.dcmread('{file}')
            n = np.cross(np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float))
            affine(ds.ImageOrientationPatient, ds.PixelSpacing, ds.ImagePositionPatient, n * float(ds.SliceThickness)).astype('<f8').tofile('{dir.File("affine.bin")}')
            apply_modality_lut(ds.pixel_array, ds).astype('<f4').tofile('{dir.File("data.bin")}')
            """);
        var series = DicomSeries.Load(file);

        Assert.Equal([128, 128, 1], series.Volume.Dims);
        AssertAffine(ReadAffine(dir.File("affine.bin")), series.Volume.Affine);
        Assert.Equal(Cast<float>(File.ReadAllBytes(dir.File("data.bin"))), series.Volume.Data);
        Assert.Equal("float32", series.Volume.SourceDataType);
        Assert.Equal("int16", series.Summary.StoredType);
        Assert.Equal(-1024, series.Summary.RescaleIntercept);
        Assert.Equal("CT", series.Summary.Modality);
    }

    [Fact]
    public void RtDoseFramesArePlacedByGridFrameOffsets()
    {
        using var dir = new TempDir();
        string file = TestFile("rtdose.dcm");
        Python.Run(AffineFromTags + $"""

            import pydicom
            ds = pydicom.dcmread('{file}')
            iop = np.array(ds.ImageOrientationPatient, float); n = np.cross(iop[:3], iop[3:])
            off = np.array(ds.GridFrameOffsetVector, float)
            affine(iop, ds.PixelSpacing, ds.ImagePositionPatient, n * (off[-1] - off[0]) / (len(off) - 1)).astype('<f8').tofile('{dir.File("affine.bin")}')
            ds.pixel_array.astype('<f4').tofile('{dir.File("data.bin")}')
            """);
        var series = DicomSeries.Load(file);

        Assert.Equal([10, 10, 15], series.Volume.Dims);
        AssertAffine(ReadAffine(dir.File("affine.bin")), series.Volume.Affine);
        Assert.Equal(Cast<float>(File.ReadAllBytes(dir.File("data.bin"))), series.Volume.Data);
        Assert.Equal("uint32", series.Volume.SourceDataType);
    }

    /// <summary>An enhanced multi-frame image whose frames are stored out of spatial order.</summary>
    [Fact]
    public void EnhancedMultiFrameIsSortedByPerFramePositions()
    {
        using var dir = new TempDir();
        string file = dir.File("enhanced.dcm");
        Python.Run(AffineFromTags + $$"""

            import pydicom
            from pydicom.dataset import Dataset, FileMetaDataset
            from pydicom.sequence import Sequence
            from pydicom.uid import ExplicitVRLittleEndian, generate_uid
            rng = np.random.default_rng(3)
            order = [2, 0, 3, 1]
            iop = [0, 1, 0, 0, 0, -1]            # sagittal
            frames = rng.integers(-500, 1500, (4, 6, 5)).astype(np.int16)
            ds = Dataset()
            ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.4.1'; ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
            ds.Modality = 'MR'; ds.SeriesInstanceUID = generate_uid(); ds.StudyInstanceUID = generate_uid()
            ds.Rows, ds.Columns, ds.NumberOfFrames = 6, 5, 4
            ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
            shared = Dataset()
            po = Dataset(); po.ImageOrientationPatient = iop; shared.PlaneOrientationSequence = Sequence([po])
            pm = Dataset(); pm.PixelSpacing = [0.7, 0.9]; pm.SliceThickness = 3; shared.PixelMeasuresSequence = Sequence([pm])
            ds.SharedFunctionalGroupsSequence = Sequence([shared])
            per = []
            for f in range(4):
                g = Dataset(); pp = Dataset(); pp.ImagePositionPatient = [-20 + 2.5 * order[f], 10, 30]; g.PlanePositionSequence = Sequence([pp])
                pv = Dataset(); pv.RescaleSlope = 0.5 * (f + 1); pv.RescaleIntercept = f; g.PixelValueTransformationSequence = Sequence([pv])
                per.append(g)
            ds.PerFrameFunctionalGroupsSequence = Sequence(per)
            ds.PixelData = frames.astype('<i2').tobytes()
            ds.is_little_endian, ds.is_implicit_VR = True, False
            ds.save_as('{{file}}', write_like_original=False)
            n = np.cross(np.array(iop[:3], float), np.array(iop[3:], float))
            pos = [np.array(g.PlanePositionSequence[0].ImagePositionPatient, float) for g in per]
            by_normal = sorted(range(4), key=lambda f: n @ pos[f])
            vol = np.stack([frames[f].astype(np.float64) * 0.5 * (f + 1) + f for f in by_normal])
            vol.astype('<f4').tofile('{{dir.File("data.bin")}}')
            step = (pos[by_normal[-1]] - pos[by_normal[0]]) / 3
            affine(iop, [0.7, 0.9], pos[by_normal[0]], step).astype('<f8').tofile('{{dir.File("affine.bin")}}')
            """);
        var series = DicomSeries.Load(file);

        Assert.Equal([5, 6, 4], series.Volume.Dims);
        AssertAffine(ReadAffine(dir.File("affine.bin")), series.Volume.Affine);
        Assert.Equal(Cast<float>(File.ReadAllBytes(dir.File("data.bin"))), series.Volume.Data);
        Assert.True(series.Summary.RescaleVaries);
    }

    // ---- series in a folder -------------------------------------------------------------------

    /// <summary>
    /// Writes an oblique CT series of <paramref name="count"/> slices with pydicom, under shuffled
    /// file names, and the expected volume (float32, x fastest) and affine built with numpy.
    /// </summary>
    internal static void WriteSeries(string folder, int count = 6, string description = "oblique test", string? seriesUid = null,
        double step = 2.5, string prefix = "")
    {
        Python.Run(AffineFromTags + $$"""

            import os, pydicom
            from pydicom.dataset import Dataset, FileMetaDataset
            from pydicom.uid import ExplicitVRLittleEndian, generate_uid
            folder, count, step = '{{folder}}', {{count}}, {{step}}
            rng = np.random.default_rng(count)
            a = np.deg2rad(20)
            row = np.array([np.cos(a), np.sin(a), 0.0]); col = np.array([0.0, np.cos(0.3), -np.sin(0.3)])
            col = col - row * (row @ col); col /= np.linalg.norm(col)
            row, col = np.round(row, 6), np.round(col, 6)
            normal = np.cross(row, col)
            first = np.array([-120.5, 80.25, 33.0])
            series, study = '{{seriesUid}}' if '{{seriesUid}}' else generate_uid(), '1.2.3.4.5'
            names = rng.permutation(count)
            slices = []
            for k in range(count):
                ds = Dataset()
                ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
                ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'; ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
                ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
                ds.PatientID = 'P-7'; ds.StudyInstanceUID = study; ds.SeriesInstanceUID = series
                ds.Modality = 'CT'; ds.SeriesDescription = '{{description}}'; ds.InstanceNumber = int(names[k]) + 1
                ds.Rows, ds.Columns = 7, 9
                ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
                ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
                ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
                ds.WindowCenter, ds.WindowWidth = [40, 400], [400, 1500]
                ds.PixelSpacing = [0.8, 0.6]; ds.SliceThickness = 2.5
                ds.ImageOrientationPatient = [float(x) for x in np.concatenate([row, col])]
                pos = first + normal * step * k
                ds.ImagePositionPatient = [float('%.6f' % x) for x in pos]
                img = rng.integers(-1000, 3000, (7, 9)).astype(np.int16)
                ds.PixelData = img.astype('<i2').tobytes()
                ds.is_little_endian, ds.is_implicit_VR = True, False
                ds.save_as(os.path.join(folder, '{{prefix}}IM%04d' % names[k]), write_like_original=False)
                slices.append((img.astype(np.float64) - 1024, np.array(ds.ImagePositionPatient, float), ds.ImageOrientationPatient, ds.PixelSpacing))
            np.stack([s[0] for s in slices]).astype('<f4').tofile(os.path.join(folder, 'expected.data'))
            p = [s[1] for s in slices]
            affine(slices[0][2], slices[0][3], p[0], (p[-1] - p[0]) / (count - 1)).astype('<f8').tofile(os.path.join(folder, 'expected.affine'))
            """);
    }

    /// <summary>Moves the expected results out of the series folder (they are not DICOM and would be listed as skipped).</summary>
    static (float[] Data, double[,] Affine) TakeExpected(string folder, TempDir elsewhere)
    {
        File.Move(Path.Combine(folder, "expected.data"), elsewhere.File("expected.data"), overwrite: true);
        File.Move(Path.Combine(folder, "expected.affine"), elsewhere.File("expected.affine"), overwrite: true);
        return (Cast<float>(File.ReadAllBytes(elsewhere.File("expected.data"))), ReadAffine(elsewhere.File("expected.affine")));
    }

    [Fact]
    public void ShuffledObliqueSeriesLoadsInSliceOrder()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path);
        var (data, affine) = TakeExpected(dir.Path, scratch);
        File.WriteAllText(dir.File("README.txt"), "not an image");

        var series = DicomSeries.Load(dir.Path);

        Assert.Equal([9, 7, 6], series.Volume.Dims);
        Assert.Equal(data, series.Volume.Data);
        AssertAffine(affine, series.Volume.Affine);
        Assert.Equal(2.5, series.Volume.Spacing[2], 4);
        Assert.Equal(0.6, series.Volume.Spacing[0], 5);   // the cosines were rounded to 6 digits
        Assert.Equal(0.8, series.Volume.Spacing[1], 5);

        var s = series.Summary;
        Assert.Equal("P-7", s.PatientId);
        Assert.Equal("1.2.3.4.5", s.StudyInstanceUid);
        Assert.Equal("oblique test", s.SeriesDescription);
        Assert.Equal(6, s.FileCount);
        Assert.Equal(6, s.SliceCount);
        Assert.Equal([40.0, 400], s.WindowCenter);
        Assert.Equal([400.0, 1500], s.WindowWidth);
        Assert.False(s.RescaleVaries);
        var skipped = Assert.Single(s.SkippedFiles);
        Assert.Equal(dir.File("README.txt"), skipped.Path);
        Assert.Contains("README.txt", s.ToString());
    }

    /// <summary>nibabel's dicomwrappers (index order row, column) agree with our (column, row) affine once its first two columns are swapped.</summary>
    [Fact]
    public void AffineAgreesWithNibabelDicomWrapper()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path, count: 3);
        TakeExpected(dir.Path, scratch);
        string first = FilesInSliceOrder(dir.Path)[0];
        Python.Run($"""
            import numpy as np, pydicom
            from nibabel.nicom.dicomwrappers import wrapper_from_data
            np.asarray(wrapper_from_data(pydicom.dcmread('{first}')).affine, '<f8').tofile('{scratch.File("nib.bin")}')
            """);
        var nib = ReadAffine(scratch.File("nib.bin"));
        var ours = DicomSeries.Load(dir.Path).Volume.Affine;
        int[] swap = [1, 0, 2, 3];
        for (int r = 0; r < 3; r++)
            foreach (int c in new[] { 0, 1, 3 })
                Assert.Equal(nib[r, swap[c]] * (r < 2 ? -1 : 1), ours[r, c], 6);
    }

    [Fact]
    public void MissingMiddleSliceIsAGap()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path);
        TakeExpected(dir.Path, scratch);
        var ordered = FilesInSliceOrder(dir.Path);
        File.Delete(ordered[3]);

        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": slices are missing", e.Message);
        Assert.Contains(Path.GetFileName(ordered[2]), e.Message);
        Assert.Contains(Path.GetFileName(ordered[4]), e.Message);
        Assert.Contains("about 1 slice(s) missing", e.Message);
    }

    /// <summary>The series' files in slice order, by the projection on the normal, computed in python.</summary>
    static string[] FilesInSliceOrder(string folder) =>
        Python.Run($"""
            import os, numpy as np, pydicom
            files = [os.path.join('{folder}', f) for f in os.listdir('{folder}')]
            def key(f):
                ds = pydicom.dcmread(f); o = np.array(ds.ImageOrientationPatient, float)
                return np.cross(o[:3], o[3:]) @ np.array(ds.ImagePositionPatient, float)
            print('\n'.join(sorted(files, key=key)))
            """).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void DuplicatePositionIsRefused()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path, count: 4);
        TakeExpected(dir.Path, scratch);
        var ordered = FilesInSliceOrder(dir.Path);
        File.Copy(ordered[1], dir.File("copy-of-" + Path.GetFileName(ordered[1])));

        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": ", e.Message);
        Assert.Contains("same position", e.Message);
        Assert.Contains("copy-of-" + Path.GetFileName(ordered[1]), e.Message);
    }

    [Fact]
    public void TwoSeriesInOneFolderMustBeChosen()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path, count: 3, description: "first", seriesUid: "1.2.826.0.1.1");
        TakeExpected(dir.Path, scratch);
        WriteSeries(dir.Path, count: 4, description: "second", seriesUid: "1.2.826.0.1.2", prefix: "B");
        var (data, _) = TakeExpected(dir.Path, scratch);

        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": holds 2 DICOM series", e.Message);
        Assert.Contains("1.2.826.0.1.1 \"first\" CT, 3 files", e.Message);
        Assert.Contains("1.2.826.0.1.2 \"second\" CT, 4 files", e.Message);

        var chosen = DicomSeries.Load(dir.Path, "1.2.826.0.1.2");
        Assert.Equal(4, chosen.Volume.Nz);
        Assert.Equal(data, chosen.Volume.Data);
        Assert.Equal(2, DicomSeries.Scan(dir.Path).Series.Count);
        var missing = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path, "9.9"));
        Assert.Contains("no series with Series Instance UID 9.9", missing.Message);
    }

    [Fact]
    public void UnevenSpacingIsRefused()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path, count: 5);
        TakeExpected(dir.Path, scratch);
        string victim = FilesInSliceOrder(dir.Path)[2];
        // Move the middle slice 0.6 mm (a quarter of the 2.5 mm step) along the slice normal.
        Python.Run($"""
            import numpy as np, pydicom
            ds = pydicom.dcmread('{victim}'); o = np.array(ds.ImageOrientationPatient, float)
            ds.ImagePositionPatient = [float(x) for x in np.array(ds.ImagePositionPatient, float) + 0.6 * np.cross(o[:3], o[3:])]
            ds.save_as('{victim}')
            """);
        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": slice spacing is not uniform: 3.1 mm between ", e.Message);
        Assert.Contains(Path.GetFileName(victim), e.Message);
    }

    [Fact]
    public void SeriesWithoutPositionsOrWithMixedGeometryIsRefused()
    {
        using var dir = new TempDir();
        using var scratch = new TempDir();
        WriteSeries(dir.Path, count: 3);
        TakeExpected(dir.Path, scratch);
        string victim = FilesInSliceOrder(dir.Path)[1];
        Python.Run($"import pydicom\nds = pydicom.dcmread('{victim}')\nds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]\nds.save_as('{victim}')");
        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": the slices have different orientations: (0020,0037) Image Orientation (Patient) is ", e.Message);
        Assert.Contains($"[1, 0, 0, 0, 1, 0] in {Path.GetFileName(victim)}", e.Message);

        Python.Run($"import pydicom\nds = pydicom.dcmread('{victim}')\ndel ds.ImagePositionPatient\nds.save_as('{victim}')");
        e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": " + Path.GetFileName(victim) + " has no (0020,0032) Image Position (Patient)", e.Message);

        Python.Run($"import pydicom\nds = pydicom.dcmread('{victim}')\nds.ImagePositionPatient = [0, 0, 0]\nds.Rows = 3\nds.PixelData = ds.PixelData[:54]\nds.save_as('{victim}')");
        e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.Contains("differ in size: 7 rows × 9 columns in 2 file(s)", e.Message);
    }

    // ---- damaged and foreign files ------------------------------------------------------------

    [Fact]
    public void TruncatedFilesNameTheElement()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestFile("CT_small.dcm"));
        string half = dir.File("half.dcm");
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Read(half));
        Assert.StartsWith(half + ": element (7FE0,0010) Pixel Data", e.Message);
        Assert.Contains("past the end of the file", e.Message);
        Assert.Throws<DicomFormatException>(() => DicomFile.Read(half, readPixels: false));

        string header = dir.File("header.dcm");
        File.WriteAllBytes(header, bytes[..(bytes.Length - 32768 - 3)]);
        e = Assert.Throws<DicomFormatException>(() => DicomFile.Read(header));
        Assert.StartsWith(header + ": ", e.Message);

        // pydicom's own truncated samples, which dcmtk refuses too.
        string plan = TestFile("rtplan_truncated.dcm");
        e = Assert.Throws<DicomFormatException>(() => DicomFile.Read(plan));
        Assert.StartsWith(plan + ": element (300A,00B0) at offset ", e.Message);
        Assert.Contains("past the end of the file", e.Message);
        string mr = TestFile("MR_truncated.dcm");
        e = Assert.Throws<DicomFormatException>(() => DicomFile.Read(mr));
        Assert.StartsWith(mr + ": element (7FE0,0010) Pixel Data", e.Message);

        // A series folder holding a truncated file fails on it rather than skipping it.
        using var folder = new TempDir();
        File.WriteAllBytes(folder.File("a.dcm"), bytes);
        File.WriteAllBytes(folder.File("b.dcm"), bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(folder.Path));
        Assert.StartsWith(folder.File("b.dcm") + ": ", e.Message);
    }

    [Fact]
    public void ShortPixelDataIsReported()
    {
        using var dir = new TempDir();
        string file = dir.File("short.dcm");
        Python.Run($"""
            import pydicom
            from pydicom.data import get_testdata_file
            ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))
            ds.PixelData = ds.PixelData[:1000]
            ds.save_as('{file}')
            """);
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(DicomFile.Read(file)));
        Assert.Equal($"{file}: Pixel Data has 1000 bytes, fewer than the 32768 that Rows × Columns × frames × bytes per pixel = " +
                     "128 × 128 × 1 × 2 needs; the file is truncated", e.Message);
    }

    [Fact]
    public void ForeignFilesAreNotDicom()
    {
        using var dir = new TempDir();
        string text = dir.File("notes.txt");
        File.WriteAllText(text, "Patient notes, not an image.\n" + new string('x', 300));
        var e = Assert.Throws<NotDicomException>(() => DicomFile.Read(text));
        Assert.StartsWith(text + ": not a DICOM file", e.Message);

        string empty = dir.File("empty.dcm");
        File.WriteAllBytes(empty, []);
        Assert.Throws<NotDicomException>(() => DicomFile.Read(empty));

        var folderError = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.StartsWith(dir.Path + ": holds no DICOM image files (2 skipped", folderError.Message);

        var missing = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.File("nothing-here")));
        Assert.Equal(dir.File("nothing-here") + ": no such file or folder", missing.Message);
    }

    [Fact]
    public void FilesWithoutPixelDataAreNotImages()
    {
        string plan = TestFile("rtplan.dcm");
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(DicomFile.Read(plan)));
        Assert.StartsWith(plan + ": has no (7FE0,0010) Pixel Data", e.Message);
        e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(plan));
        Assert.StartsWith(plan + ": has no (7FE0,0010) Pixel Data", e.Message);
    }

    [Fact]
    public void MalformedNumbersAreNamed()
    {
        string file = TestFile("badVR.dcm");
        var ds = DicomFile.Read(file);
        var e = Assert.Throws<DicomFormatException>(() => ds.NumberOfFrames);
        Assert.Equal($"{file}: (0028,0008) Number of Frames: '1A' is not an integer string", e.Message);
    }

    /// <summary>Random byte damage and truncations of real files fail only with a message naming the file.</summary>
    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small_bigendian.dcm")]
    [InlineData("rtplan.dcm")]
    [InlineData("rtdose.dcm")]
    [InlineData("image_dfl.dcm")]
    [InlineData("reportsi.dcm")]
    public void DamagedFilesFailCleanly(string name)
    {
        var original = File.ReadAllBytes(TestFile(name));
        using var dir = new TempDir();
        var rng = new Random(12345);
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])original.Clone();
            if (trial % 3 == 0) bytes = bytes[..rng.Next(bytes.Length)];
            else
                for (int n = rng.Next(1, 5); n > 0; n--)
                    bytes[rng.Next(Math.Min(bytes.Length, 3000))] = (byte)rng.Next(256);
            string file = dir.File($"{trial}.dcm");
            File.WriteAllBytes(file, bytes);
            try
            {
                var ds = DicomFile.Read(file);
                _ = (ds.PatientId, ds.StudyInstanceUid, ds.SeriesInstanceUid, ds.Modality, ds.Rows, ds.Columns, ds.NumberOfFrames,
                    ds.RescaleSlope, ds.WindowCenter, ds.ImagePositionPatient, ds.ImageOrientationPatient, ds.PixelSpacing);
                if (ds.Contains(DicomTag.PixelData)) DicomSeries.Load(file);
            }
            catch (DicomFormatException e)
            {
                Assert.StartsWith(file + ": ", e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"trial {trial} of {name}: {e}");
            }
        }
    }

    [Fact]
    public void EveryPydicomTestFileReadsOrFailsCleanly()
    {
        foreach (string file in Directory.GetFiles(PydicomData.Value, "*.dcm"))
        {
            try
            {
                var ds = DicomFile.Read(file);
                if (ds.Contains(DicomTag.PixelData)) DicomSeries.Load(file);
            }
            catch (DicomFormatException e)
            {
                Assert.StartsWith(file + ": ", e.Message);
            }
        }
    }
}
