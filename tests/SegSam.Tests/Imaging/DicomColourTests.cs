using System.Runtime.InteropServices;
using SegSam.Imaging;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;
using static SegSam.Tests.Imaging.DicomCompressedTests;
using static SegSam.Tests.Imaging.DicomTests;

namespace SegSam.Tests.Imaging;

/// <summary>
/// Colour DICOM (3 samples per pixel) in every transfer syntax the reader decodes: pydicom's
/// SC_rgb_* files against dcmtk's (dcmdrle, dcmdjpeg, dcmdjpls) and GDCM's (gdcmconv --raw)
/// decompressions, which pydicom reads as the reference values; native RGB in both planar
/// configurations and YBR_FULL; lossless re-encodings (dcmcjpeg, dcmcjpls in each interleave
/// mode, gdcmconv --j2k) against their source; colour turned to gray by the picture rule; damaged
/// colour streams; and the caps on the decoded size of a file and of a series.
/// </summary>
public class DicomColourTests
{
    static long[] Stored(string file) => DicomPixelData.From(DicomFile.Read(file)).StoredValues();

    /// <summary>
    /// pydicom's pixel_array of each native RGB file, frame-major, row-major, R G B interleaved;
    /// one Python run for all (each run costs about a second).
    /// </summary>
    static long[][] PydicomPixels(TempDir dir, params string[] files)
    {
        Python.Run($$"""
            import numpy as np, pydicom
            for k, f in enumerate([{{string.Join(", ", files.Select(f => $"'{f}'"))}}]):
                ds = pydicom.dcmread(f)
                assert ds.PhotometricInterpretation == 'RGB', (f, ds.PhotometricInterpretation)
                ds.pixel_array.astype('<i8').tofile(f'{{dir.Path}}/pydicom{k}.raw')
            """);
        return files.Select((_, k) => MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(dir.File($"pydicom{k}.raw"))).ToArray()).ToArray();
    }

    /// <summary>The native RGB twin of an RLE file of pydicom's: dcmtk's dcmdrle output.</summary>
    static string Twin(TempDir dir, string rleFile)
    {
        string twin = dir.File(Path.GetFileNameWithoutExtension(rleFile) + "-twin.dcm");
        Dcmtk("dcmdrle", TestFile(rleFile), twin);
        return twin;
    }

    static readonly string[] RgbRleFiles =
    [
        "SC_rgb_rle.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_16bit_2frame.dcm",
        "SC_rgb_rle_32bit.dcm", "SC_rgb_rle_32bit_2frame.dcm",
    ];

    // ---- RLE and native ------------------------------------------------------------------------

    /// <summary>
    /// Each colour RLE file (8, 16 and 32 bits, one and two frames) decodes to the pixels of its
    /// native twin (dcmdrle), as pydicom reads that twin, and to the same values from the twin
    /// rewritten colour by plane (Planar Configuration 1) natively and as Encapsulated Uncompressed,
    /// and from the twin in implicit VR, big endian and deflated (dcmconv +ti, +tb, +td).
    /// </summary>
    [Fact]
    public void ColourRleFilesDecodeToTheirNativeTwins()
    {
        using var dir = new TempDir();
        var twins = RgbRleFiles.Select(f => Twin(dir, f)).ToArray();
        string[] syntaxes = ["+ti", "+tb", "+td"];   // implicit VR, big endian, deflated
        foreach (var twin in twins)
            foreach (var syntax in syntaxes) Dcmtk("dcmconv", syntax, twin, twin[..^4] + syntax[1..] + ".dcm");
        Python.Run($$"""
            import numpy as np, pydicom
            from pydicom.encaps import encapsulate
            for twin in [{{string.Join(", ", twins.Select(f => $"'{f}'"))}}]:
                ds = pydicom.dcmread(twin)
                a = ds.pixel_array
                frames = a if ds.get('NumberOfFrames', 1) > 1 else a[None]
                planes = [np.ascontiguousarray(f.transpose(2, 0, 1)).astype(a.dtype.newbyteorder('<')).tobytes() for f in frames]
                ds.PlanarConfiguration = 1
                ds.PixelData = b''.join(planes)
                ds.save_as(twin[:-4] + '-planar.dcm')
                ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.1.98'
                ds.PixelData = encapsulate(planes, has_bot=True)
                ds['PixelData'].VR = 'OB'
                ds.save_as(twin[:-4] + '-planar-98.dcm')
            """);
        var expected = PydicomPixels(dir, twins);
        for (int k = 0; k < twins.Length; k++)
        {
            Assert.Equal(3, DicomPixelData.From(DicomFile.Read(TestFile(RgbRleFiles[k]))).SamplesPerPixel);
            foreach (var file in new[] { TestFile(RgbRleFiles[k]), twins[k], twins[k][..^4] + "-planar.dcm", twins[k][..^4] + "-planar-98.dcm" }
                         .Concat(syntaxes.Select(syntax => twins[k][..^4] + syntax[1..] + ".dcm")))
                Assert.True(expected[k].SequenceEqual(Stored(file)), $"{Path.GetFileName(file)} differs from pydicom's reading of {Path.GetFileName(twins[k])}");
        }
    }

    /// <summary>
    /// Native YBR_FULL (pydicom's convert_color_space of the RGB twin, by pixel and by plane) and
    /// the same bytes in RLE come back exactly as pydicom's own YBR_FULL → RGB. (pydicom computes in
    /// float32, the reader in double, both rounding half up: over all 2^24 YCbCr triples, a numpy
    /// float64 replica of the reader's formula differs from pydicom in 42 of 50,331,648 samples,
    /// by 1; none of them occurs here.)
    /// </summary>
    [Fact]
    public void NativeAndRleYbrFullComeBackAsPydicomsRgb()
    {
        using var dir = new TempDir();
        string twin = Twin(dir, "SC_rgb_rle_2frame.dcm");
        string ybr = dir.File("ybr.dcm"), planar = dir.File("ybr-planar.dcm"), rle = dir.File("ybr-rle.dcm"), raw = dir.File("rgb.raw");
        Python.Run($$"""
            import numpy as np, pydicom
            from pydicom.pixel_data_handlers.util import convert_color_space
            ds = pydicom.dcmread('{{twin}}')
            y = convert_color_space(ds.pixel_array, 'RGB', 'YBR_FULL')
            convert_color_space(y, 'YBR_FULL', 'RGB').astype('<i8').tofile('{{raw}}')
            ds.PhotometricInterpretation = 'YBR_FULL'
            ds.PixelData = y.tobytes()
            ds.save_as('{{ybr}}')
            ds.PlanarConfiguration = 1
            ds.PixelData = np.ascontiguousarray(y.transpose(0, 3, 1, 2)).tobytes()
            ds.save_as('{{planar}}')
            """);
        Dcmtk("dcmcrle", ybr, rle);
        var expected = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(raw)).ToArray();
        foreach (var file in new[] { ybr, planar, rle }) Assert.Equal(expected, Stored(file));
    }

    /// <summary>pydicom's native YBR_FULL_422 file (Y1 Y2 Cb Cr per pixel pair) comes back as pydicom's pixel_array turned to RGB by convert_color_space.</summary>
    [Fact]
    public void NativeYbrFull422ComesBackAsPydicomsRgb()
    {
        using var dir = new TempDir();
        string file = TestFile("SC_ybr_full_422_uncompressed.dcm"), raw = dir.File("rgb.raw");
        Python.Run($$"""
            import pydicom
            from pydicom.pixel_data_handlers.util import convert_color_space
            ds = pydicom.dcmread('{{file}}')
            assert ds.PhotometricInterpretation == 'YBR_FULL_422'
            convert_color_space(ds.pixel_array, 'YBR_FULL', 'RGB').astype('<i8').tofile('{{raw}}')
            """);
        Assert.Equal(MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(raw)).ToArray(), Stored(file));
    }

    // ---- JPEG -----------------------------------------------------------------------------------

    /// <summary>
    /// pydicom's colour JPEG files (RGB, YBR_FULL and YBR_FULL_422, with and without JFIF/Adobe
    /// markers, lossy and SV1 lossless) decode exactly as dcmdjpeg decodes them by default, and so
    /// does dcmcjpeg's 8-bit extended (+ee, YBR_FULL_422) encoding of a two-frame RGB image; its
    /// lossless SV1 encoding equals the original.
    /// </summary>
    [Fact]
    public void ColourJpegFilesDecodeAsDcmdjpegDecodesThem()
    {
        string[] names =
        [
            "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_dcmtk_+eb+cy+n2.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm",
            "SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_dcmtk_+eb+cy+s4.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_app14_dcmd.dcm",
            "SC_rgb_jpeg_lossy_gdcm.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm",
            "SC_rgb_small_odd_jpeg.dcm",
        ];
        using var dir = new TempDir();
        var decompressed = names.Select(n => dir.File("dcmdjpeg-" + n)).ToArray();
        for (int k = 0; k < names.Length; k++) Dcmtk("dcmdjpeg", TestFile(names[k]), decompressed[k]);
        var expected = PydicomPixels(dir, decompressed);
        for (int k = 0; k < names.Length; k++)
            Assert.True(expected[k].SequenceEqual(Stored(TestFile(names[k]))), $"{names[k]} differs from dcmdjpeg's decoding");

        string twin = Twin(dir, "SC_rgb_rle_2frame.dcm"), sv1 = dir.File("sv1.dcm"), extended = dir.File("extended.dcm");
        Dcmtk("dcmcjpeg", "+ee", twin, extended);
        Dcmtk("dcmdjpeg", extended, decompressed[0]);
        var expectedExtended = PydicomPixels(dir, decompressed[0])[0];
        Assert.Equal("1.2.840.10008.1.2.4.51", DicomFile.Read(extended, readPixels: false).TransferSyntax.Uid);
        Assert.Equal(expectedExtended, Stored(extended));
        Dcmtk("dcmcjpeg", "+e1", twin, sv1);
        Assert.Equal("1.2.840.10008.1.2.4.70", DicomFile.Read(sv1, readPixels: false).TransferSyntax.Uid);
        Assert.Equal(Stored(twin), Stored(sv1));
    }

    // ---- JPEG-LS and JPEG 2000 -------------------------------------------------------------------

    /// <summary>
    /// dcmcjpls lossless in each interleave mode (line, sample, none), 8- and 16-bit RGB: exactly
    /// the original, and what dcmdjpls gives; near-lossless (NEAR 3) exactly as dcmdjpls and within 3
    /// of the original (dcmtk 3.6.7's dcmdjpls fails on its own 16-bit
    /// "none" stream, "Invalid compressed image data", so that case is compared with the original only).
    /// </summary>
    [Fact]
    public void ColourJpegLsInEveryInterleaveModeEqualsTheOriginal()
    {
        (string Name, string Interleave, bool Dcmdjpls)[] cases =
        [
            ("SC_rgb_rle_2frame.dcm", "+il", true), ("SC_rgb_rle_2frame.dcm", "+is", true), ("SC_rgb_rle_2frame.dcm", "+in", true),
            ("SC_rgb_rle_16bit.dcm", "+in", false), ("SC_rgb_rle_16bit.dcm", "+is", true),
            ("SC_rgb_rle_2frame.dcm", "+en +md 3 +il", true),   // near-lossless: compared with dcmdjpls only
        ];
        using var dir = new TempDir();
        string twin8 = Twin(dir, "SC_rgb_rle_2frame.dcm"), twin16 = Twin(dir, "SC_rgb_rle_16bit.dcm");
        var references = new List<string> { twin8, twin16 };
        var originalOf = new List<int> { 0, 1 };   // which original each reference must equal
        var compressed = new List<string>();
        foreach (var (name, interleave, dcmdjpls) in cases)
        {
            string file = dir.File($"jls{compressed.Count}.dcm");
            Dcmtk("dcmcjpls", [.. interleave.Split(' '), name.Contains("16bit") ? twin16 : twin8, file]);
            compressed.Add(file);
            if (!dcmdjpls) continue;
            references.Add(dir.File($"dcmdjpls{compressed.Count}.dcm"));
            originalOf.Add(name.Contains("16bit") ? 1 : 0);
            Dcmtk("dcmdjpls", file, references[^1]);
        }
        var pixels = PydicomPixels(dir, [.. references]);
        for (int k = 0; k < cases.Length - 1; k++)
            Assert.True(pixels[cases[k].Name.Contains("16bit") ? 1 : 0].SequenceEqual(Stored(compressed[k])), $"dcmcjpls {cases[k].Interleave} of {cases[k].Name} differs from the original");
        for (int k = 2; k < pixels.Length - 1; k++) Assert.Equal(pixels[originalOf[k]], pixels[k]);
        // The near-lossless case: exactly dcmdjpls's decoding, within NEAR = 3 of the original, and not equal to it.
        var near = Stored(compressed[^1]);
        Assert.Equal(pixels[^1], near);
        Assert.True(near.Zip(pixels[0]).All(p => Math.Abs(p.First - p.Second) <= 3));
        Assert.NotEqual(pixels[0], near);
    }

    /// <summary>
    /// JPEG 2000 colour against gdcmconv --raw: pydicom's lossy RGB file and its YBR_RCT lossless
    /// file (OpenJPEG undoes the component transform), and gdcmconv --j2k of a two-frame RGB
    /// image, which also equals the original.
    /// </summary>
    [Fact]
    public void ColourJpeg2000DecodesAsGdcmDecodesIt()
    {
        using var dir = new TempDir();
        string twin = Twin(dir, "SC_rgb_rle_2frame.dcm"), j2k = dir.File("j2k.dcm");
        Dcmtk("gdcmconv", "--j2k", twin, j2k);
        string[] compressed = [TestFile("SC_rgb_gdcm_KY.dcm"), TestFile("GDCMJ2K_TextGBR.dcm"), j2k];
        var raw = compressed.Select((f, k) => dir.File($"raw{k}.dcm")).ToArray();
        for (int k = 0; k < compressed.Length; k++) Dcmtk("gdcmconv", "--raw", compressed[k], raw[k]);
        var expected = PydicomPixels(dir, [.. raw, twin]);
        for (int k = 0; k < compressed.Length; k++)
            Assert.True(expected[k].SequenceEqual(Stored(compressed[k])), $"{Path.GetFileName(compressed[k])} differs from gdcmconv --raw");
        Assert.Equal(expected[3], expected[2]);
    }

    // ---- to gray, refusals, damage -----------------------------------------------------------------

    /// <summary>A colour file loads as a one-slice volume of the luma PNG/JPEG pictures get, with a warning saying so.</summary>
    [Fact]
    public void ColourSeriesLoadsAsLumaWithAWarning()
    {
        using var dir = new TempDir();
        string file = TestFile("SC_rgb_rle_16bit.dcm");
        var rgb = Stored(file);
        var series = DicomSeries.Load(file);
        Assert.Equal([100, 100, 1], series.Volume.Dims);
        var picture = new RasterImage(100, 100, 3, rgb.Select(v => (float)v).ToArray(), isUInt8: false);
        Assert.Equal(MedicalImage.Luma(picture), series.Volume.Data);
        Assert.Contains(series.Summary.Warnings, w => w.Contains("colour images are read as gray"));
    }

    /// <summary>Colour models the reader does not take, and sample counts that do not fit the model, are refused by name.</summary>
    [Fact]
    public void UnsupportedColourModelsAreRefusedByName()
    {
        (string Photometric, int Samples, string Message)[] cases =
        [
            ("PALETTE COLOR", 1, "palette (lookup-table) colour is not supported"),
            ("YBR_PARTIAL_422", 3, "supported colour images are RGB"),
            ("YBR_FULL_422", 3, "4:2:2 data needs colour by pixel (0) and an even number of columns"),   // 3 columns
            ("RGB", 1, "a colour image has three samples per pixel"),
            ("MONOCHROME2", 3, "a grayscale image has one sample per pixel"),
        ];
        using var dir = new TempDir();
        Python.Run($$"""
            import pydicom
            for k, (photometric, samples) in enumerate([{{string.Join(", ", cases.Select(c => $"('{c.Photometric}', {c.Samples})"))}}]):
                ds = pydicom.dcmread('{{TestFile("MR_small.dcm")}}' if samples == 1 else '{{TestFile("SC_rgb_small_odd.dcm")}}')
                ds.PhotometricInterpretation, ds.SamplesPerPixel = photometric, samples
                ds.save_as(f'{{dir.Path}}/relabelled{k}.dcm')
            """);
        for (int k = 0; k < cases.Length; k++)
        {
            string file = dir.File($"relabelled{k}.dcm");
            AssertRefusedNamingTheFile(file, cases[k].Message);
            Assert.Contains(cases[k].Photometric, Assert.Throws<DicomFormatException>(() => DicomPixelData.From(DicomFile.Read(file))).Message);
        }
    }

    /// <summary>
    /// Damaged colour streams of each codec (RLE, lossy and lossless JPEG, JPEG-LS without
    /// interleave, lossy and YBR_RCT JPEG 2000), cut short, give the format error naming the file.
    /// </summary>
    [Fact]
    public void DamagedColourStreamsGiveAFormatErrorNamingTheFile()
    {
        using var dir = new TempDir();
        string jls = dir.File("jls.dcm");
        Dcmtk("dcmcjpls", "+in", Twin(dir, "SC_rgb_rle.dcm"), jls);
        (string Source, string Message)[] cases =
        [
            (TestFile("SC_rgb_rle.dcm"), "RLE segment"), (TestFile("SC_rgb_dcmtk_+eb+cy+np.dcm"), "cannot be decoded"),
            (TestFile("SC_rgb_jpeg_gdcm.dcm"), "cannot be decoded"), (jls, "CharLS failed"),
            (TestFile("SC_rgb_gdcm_KY.dcm"), "OpenJPEG failed"), (TestFile("GDCMJ2K_TextGBR.dcm"), "OpenJPEG failed"),
        ];
        Python.Run($$"""
            import pydicom
            from pydicom.encaps import encapsulate, generate_pixel_data_frame
            for k, source in enumerate([{{string.Join(", ", cases.Select(c => $"'{c.Source}'"))}}]):
                ds = pydicom.dcmread(source)
                frame = next(generate_pixel_data_frame(ds.PixelData, 1))
                ds.PixelData = encapsulate([frame[:len(frame) // 3]], has_bot=True)
                ds.save_as(f'{{dir.Path}}/damaged{k}.dcm')
            """);
        for (int k = 0; k < cases.Length; k++) AssertRefusedNamingTheFile(dir.File($"damaged{k}.dcm"), cases[k].Message);
    }

    // ---- compression bombs ---------------------------------------------------------------------------

    /// <summary>
    /// Headers declaring more than 1 GiB of pixels over a tiny stream (one RLE frame) are refused
    /// from the header, naming the file, before the reader allocates anything of that size:
    /// 8 GiB in one 16-bit frame, just over 1 GiB in one 8-bit frame, 1.2 GB in 400 RGB frames.
    /// </summary>
    [Fact]
    public void CompressionBombsAreRefusedBeforeAllocating()
    {
        using var dir = new TempDir();
        var files = Bombs(dir, [(65535, 65535, 1, 16, 1, null), (32768, 32769, 1, 8, 1, null), (1000, 1000, 3, 8, 400, null)]);
        foreach (var file in files)
        {
            var ds = DicomFile.Read(file);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(ds));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the refusal allocated more than 1 MiB");
            Assert.StartsWith(file + ": declares", e.Message);
            Assert.Contains("more than the 1,073,741,824 bytes (1 GiB)", e.Message);
            Assert.Throws<DicomFormatException>(() => DicomPixelData.Validate(DicomFile.Read(file, readPixels: false)));
        }
    }

    /// <summary>Five slices of 1 GiB of float32 each (each file under the per-file cap) make a volume over the 4 GiB cap: refused before any pixels are decoded.</summary>
    [Fact]
    public void ASeriesOverTheVolumeCapIsRefusedBeforeDecoding()
    {
        using var dir = new TempDir();
        Bombs(dir, [.. Enumerable.Range(0, 5).Select(k => (16384, 16384, 1, 8, 1, (int?)k))]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the refusal allocated more than 64 MiB");
        Assert.StartsWith(dir.Path, e.Message);
        Assert.Contains("more than the 4,294,967,296 bytes (4 GiB)", e.Message);
    }

    /// <summary>RLE files whose headers declare the given sizes and whose frames are a few bytes each; a position makes them slices of one series.</summary>
    static string[] Bombs(TempDir dir, (int Rows, int Columns, int Samples, int Bits, int Frames, int? Position)[] specs)
    {
        Python.Run($$"""
            import pydicom
            from pydicom.encaps import encapsulate
            specs = [{{string.Join(", ", specs.Select(b => $"({b.Rows}, {b.Columns}, {b.Samples}, {b.Bits}, {b.Frames}, {(b.Position is null ? "None" : b.Position.ToString())})"))}}]
            for k, (rows, columns, samples, bits, frames, p) in enumerate(specs):
                ds = pydicom.dcmread('{{TestFile("SC_rgb_rle.dcm")}}' if samples == 3 else '{{TestFile("MR_small_RLE.dcm")}}')
                ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, samples
                ds.BitsAllocated = ds.BitsStored = bits
                ds.HighBit = bits - 1
                ds.NumberOfFrames = frames
                ds.PixelData = encapsulate([bytes(66)] * frames, has_bot=True)
                if p is not None:
                    ds.ImagePositionPatient = [0, 0, p]
                    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                    ds.SOPInstanceUID = ds.SOPInstanceUID + '.' + str(p)
                ds.save_as(f'{{dir.Path}}/bomb{k}.dcm')
            """);
        return specs.Select((_, k) => dir.File($"bomb{k}.dcm")).ToArray();
    }
}
