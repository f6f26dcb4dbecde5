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

    /// <summary>pydicom's pixel_array of <paramref name="file"/>, frame-major, row-major, R G B interleaved.</summary>
    static long[] PydicomPixels(string file, TempDir dir)
    {
        string raw = dir.File("pydicom.raw");
        Python.Run($$"""
            import numpy as np, pydicom
            ds = pydicom.dcmread('{{file}}')
            a = ds.pixel_array
            assert ds.PhotometricInterpretation == 'RGB', ds.PhotometricInterpretation
            a.astype('<i8').tofile('{{raw}}')
            """);
        return MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(raw)).ToArray();
    }

    /// <summary>The native RGB twin of an RLE file: dcmtk's dcmdrle output.</summary>
    static string Twin(TempDir dir, string rleFile)
    {
        string twin = dir.File("twin.dcm");
        Dcmtk("dcmdrle", TestFile(rleFile), twin);
        return twin;
    }

    // ---- RLE and native ------------------------------------------------------------------------

    /// <summary>
    /// Each colour RLE file decodes to the pixels of its native twin (dcmdrle), as pydicom reads
    /// that twin, and to the same values from the twin rewritten colour by plane (Planar
    /// Configuration 1) and as Encapsulated Uncompressed colour by plane.
    /// </summary>
    [Theory]
    [InlineData("SC_rgb_rle.dcm")]
    [InlineData("SC_rgb_rle_2frame.dcm")]
    [InlineData("SC_rgb_rle_16bit.dcm")]
    [InlineData("SC_rgb_rle_16bit_2frame.dcm")]
    [InlineData("SC_rgb_rle_32bit.dcm")]
    [InlineData("SC_rgb_rle_32bit_2frame.dcm")]
    public void ColourRleFilesDecodeToTheirNativeTwins(string name)
    {
        using var dir = new TempDir();
        string twin = Twin(dir, name);
        string planar = dir.File("planar.dcm"), encapsulated = dir.File("planar-98.dcm");
        Python.Run($$"""
            import numpy as np, pydicom
            from pydicom.encaps import encapsulate
            ds = pydicom.dcmread('{{twin}}')
            a = ds.pixel_array
            frames = a if ds.get('NumberOfFrames', 1) > 1 else a[None]
            planes = [np.ascontiguousarray(f.transpose(2, 0, 1)).astype(a.dtype.newbyteorder('<')).tobytes() for f in frames]
            ds.PlanarConfiguration = 1
            ds.PixelData = b''.join(planes)
            ds.save_as('{{planar}}')
            ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.1.98'
            ds.PixelData = encapsulate(planes, has_bot=True)
            ds['PixelData'].VR = 'OB'
            ds.save_as('{{encapsulated}}')
            """);
        var expected = PydicomPixels(twin, dir);
        Assert.Equal(expected, Stored(TestFile(name)));
        Assert.Equal(expected, Stored(twin));
        Assert.Equal(expected, Stored(planar));
        Assert.Equal(expected, Stored(encapsulated));
        Assert.Equal(3, DicomPixelData.From(DicomFile.Read(TestFile(name))).SamplesPerPixel);
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

    // ---- JPEG -----------------------------------------------------------------------------------

    /// <summary>
    /// pydicom's colour JPEG files (RGB, YBR_FULL and YBR_FULL_422, with and without JFIF/Adobe
    /// markers, lossy and SV1 lossless) decode exactly as dcmdjpeg decodes them by default.
    /// </summary>
    [Theory]
    [InlineData("SC_rgb_dcmtk_+eb+cr.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+n1.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+n2.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+np.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+s2.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+s4.dcm")]
    [InlineData("SC_rgb_jpeg_dcmtk.dcm")]
    [InlineData("SC_rgb_jpeg_app14_dcmd.dcm")]
    [InlineData("SC_rgb_jpeg_lossy_gdcm.dcm")]
    [InlineData("SC_rgb_jpeg_gdcm.dcm")]
    [InlineData("SC_jpeg_no_color_transform.dcm")]
    [InlineData("SC_jpeg_no_color_transform_2.dcm")]
    [InlineData("SC_rgb_small_odd_jpeg.dcm")]
    public void ColourJpegFilesDecodeAsDcmdjpegDecodesThem(string name)
    {
        using var dir = new TempDir();
        string decompressed = dir.File("dcmdjpeg.dcm");
        Dcmtk("dcmdjpeg", TestFile(name), decompressed);
        Assert.Equal(PydicomPixels(decompressed, dir), Stored(TestFile(name)));
    }

    /// <summary>dcmcjpeg's lossless SV1 encoding of the two-frame RGB twin equals the original exactly.</summary>
    [Fact]
    public void LosslessColourJpegEqualsTheOriginal()
    {
        using var dir = new TempDir();
        string twin = Twin(dir, "SC_rgb_rle_2frame.dcm"), compressed = dir.File("sv1.dcm");
        Dcmtk("dcmcjpeg", "+e1", twin, compressed);
        Assert.Equal("1.2.840.10008.1.2.4.70", DicomFile.Read(compressed, readPixels: false).TransferSyntax.Uid);
        Assert.Equal(Stored(twin), Stored(compressed));
    }

    // ---- JPEG-LS and JPEG 2000 -------------------------------------------------------------------

    /// <summary>
    /// dcmcjpls lossless in each interleave mode (line, sample, none), 8- and 16-bit RGB: exactly
    /// the original, and what dcmdjpls gives (dcmtk 3.6.7's dcmdjpls fails on its own 16-bit
    /// "none" stream, "Invalid compressed image data", so that case is compared with the original only).
    /// </summary>
    [Theory]
    [InlineData("SC_rgb_rle_2frame.dcm", "+il", true)]
    [InlineData("SC_rgb_rle_2frame.dcm", "+is", true)]
    [InlineData("SC_rgb_rle_2frame.dcm", "+in", true)]
    [InlineData("SC_rgb_rle_16bit.dcm", "+in", false)]
    [InlineData("SC_rgb_rle_16bit.dcm", "+is", true)]
    public void ColourJpegLsInEveryInterleaveModeEqualsTheOriginal(string name, string interleave, bool dcmdjpls)
    {
        using var dir = new TempDir();
        string twin = Twin(dir, name), compressed = dir.File("jls.dcm"), decompressed = dir.File("dcmdjpls.dcm");
        Dcmtk("dcmcjpls", interleave, twin, compressed);
        var expected = PydicomPixels(twin, dir);
        Assert.Equal(expected, Stored(compressed));
        if (!dcmdjpls) return;
        Dcmtk("dcmdjpls", compressed, decompressed);
        Assert.Equal(expected, PydicomPixels(decompressed, dir));
    }

    /// <summary>
    /// JPEG 2000 colour against gdcmconv --raw: pydicom's lossy RGB file and its YBR_RCT lossless
    /// file (OpenJPEG undoes the component transform), and gdcmconv --j2k of the RGB twin, which
    /// also equals the original.
    /// </summary>
    [Theory]
    [InlineData("SC_rgb_gdcm_KY.dcm", false)]
    [InlineData("GDCMJ2K_TextGBR.dcm", false)]
    [InlineData("SC_rgb_rle_2frame.dcm", true)]
    public void ColourJpeg2000DecodesAsGdcmDecodesIt(string name, bool compress)
    {
        using var dir = new TempDir();
        string compressed = TestFile(name), decompressed = dir.File("raw.dcm");
        long[]? original = null;
        if (compress)
        {
            string twin = Twin(dir, name);
            original = PydicomPixels(twin, dir);
            compressed = dir.File("j2k.dcm");
            Dcmtk("gdcmconv", "--j2k", twin, compressed);
        }
        Dcmtk("gdcmconv", "--raw", compressed, decompressed);
        var expected = PydicomPixels(decompressed, dir);
        Assert.Equal(expected, Stored(compressed));
        if (original is not null) Assert.Equal(original, expected);
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

    [Theory]
    [InlineData("PALETTE COLOR", 1, "palette (lookup-table) colour is not supported")]
    [InlineData("YBR_PARTIAL_422", 3, "supported colour images are RGB")]
    [InlineData("YBR_FULL_422", 3, "supported colour images are RGB")]   // native 4:2:2 is not read
    [InlineData("RGB", 1, "a colour image has three samples per pixel")]
    [InlineData("MONOCHROME2", 3, "a grayscale image has one sample per pixel")]
    public void UnsupportedColourModelsAreRefusedByName(string photometric, int samples, string message)
    {
        using var dir = new TempDir();
        string file = dir.File("relabelled.dcm");
        Python.Run($$"""
            import pydicom
            ds = pydicom.dcmread('{{TestFile(samples == 1 ? "MR_small.dcm" : "SC_rgb_small_odd.dcm")}}')
            ds.PhotometricInterpretation = '{{photometric}}'
            ds.SamplesPerPixel = {{samples}}
            ds.save_as('{{file}}')
            """);
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(DicomFile.Read(file)));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(message, e.Message);
        Assert.Contains(photometric, e.Message);
    }

    /// <summary>Damaged colour streams of each codec give the format error naming the file, never a crash or wrong pixels.</summary>
    [Theory]
    [InlineData("SC_rgb_rle.dcm", "frames[0] = frames[0][:len(frames[0]) // 2]", "RLE segment")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+np.dcm", "frames[0] = frames[0][:len(frames[0]) // 2]", "cannot be decoded")]
    [InlineData("SC_rgb_jpeg_gdcm.dcm", "frames[0] = frames[0][:len(frames[0]) // 2]", "cannot be decoded")]
    [InlineData("SC_rgb_gdcm_KY.dcm", "frames[0] = frames[0][:len(frames[0]) // 3]", "cannot be decoded")]
    [InlineData("GDCMJ2K_TextGBR.dcm", "frames[0] = frames[0][:len(frames[0]) // 4]", "cannot be decoded")]
    public void DamagedColourStreamsGiveAFormatErrorNamingTheFile(string name, string damage, string message)
    {
        using var dir = new TempDir();
        AssertRefusedNamingTheFile(Damage(dir, TestFile(name), 1, damage), message);
    }

    [Fact]
    public void DamagedColourJpegLsGivesAFormatErrorNamingTheFile()
    {
        using var dir = new TempDir();
        string twin = Twin(dir, "SC_rgb_rle.dcm"), compressed = dir.File("jls.dcm");
        Dcmtk("dcmcjpls", "+in", twin, compressed);
        AssertRefusedNamingTheFile(Damage(dir, compressed, 1, "frames[0] = frames[0][:len(frames[0]) // 2]"), "CharLS failed");
    }

    // ---- compression bombs ---------------------------------------------------------------------------

    /// <summary>
    /// Headers declaring more than 1 GiB of pixels over a tiny stream (one RLE frame) are refused
    /// from the header, naming the file, before the reader allocates anything of that size.
    /// </summary>
    [Theory]
    [InlineData(65535, 65535, 1, 16, 1)]     // 8 GiB in one frame
    [InlineData(32768, 32769, 1, 8, 1)]      // just over 1 GiB
    [InlineData(1000, 1000, 3, 8, 400)]      // 1.2 GB in 400 frames
    public void CompressionBombsAreRefusedBeforeAllocating(int rows, int columns, int samples, int bits, int frames)
    {
        using var dir = new TempDir();
        string file = Bomb(dir.File("bomb.dcm"), rows, columns, samples, bits, frames, position: null);
        var ds = DicomFile.Read(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(ds));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the refusal allocated more than 1 MiB");
        Assert.StartsWith(file + ": declares", e.Message);
        Assert.Contains("more than the 1,073,741,824 bytes (1 GiB)", e.Message);
        Assert.Throws<DicomFormatException>(() => DicomPixelData.Validate(DicomFile.Read(file, readPixels: false)));
    }

    /// <summary>Five slices of 1 GiB of float32 each (each file under the per-file cap) make a volume over the 4 GiB cap: refused before any pixels are decoded.</summary>
    [Fact]
    public void ASeriesOverTheVolumeCapIsRefusedBeforeDecoding()
    {
        using var dir = new TempDir();
        for (int k = 0; k < 5; k++) Bomb(Path.Combine(dir.Path, $"slice{k}.dcm"), 16384, 16384, 1, 8, 1, position: k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DicomFormatException>(() => DicomSeries.Load(dir.Path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the refusal allocated more than 64 MiB");
        Assert.StartsWith(dir.Path, e.Message);
        Assert.Contains("more than the 4,294,967,296 bytes (4 GiB)", e.Message);
    }

    /// <summary>An RLE file whose header declares the given size and whose one frame is a few bytes.</summary>
    static string Bomb(string file, int rows, int columns, int samples, int bits, int frames, int? position)
    {
        Python.Run($$"""
            import pydicom
            from pydicom.encaps import encapsulate
            ds = pydicom.dcmread('{{TestFile(samples == 3 ? "SC_rgb_rle.dcm" : "MR_small_RLE.dcm")}}')
            ds.Rows, ds.Columns, ds.SamplesPerPixel = {{rows}}, {{columns}}, {{samples}}
            ds.BitsAllocated = ds.BitsStored = {{bits}}
            ds.HighBit = {{bits - 1}}
            ds.NumberOfFrames = {{frames}}
            ds.PixelData = encapsulate([bytes(64 + 2)] * {{frames}}, has_bot=True)
            p = {{(position is null ? "None" : position.ToString())}}
            if p is not None:
                ds.ImagePositionPatient = [0, 0, p]
                ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                ds.SOPInstanceUID = ds.SOPInstanceUID + '.' + str(p)
            ds.save_as('{{file}}')
            """);
        return file;
    }
}
