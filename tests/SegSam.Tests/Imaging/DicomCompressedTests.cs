using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;
using static SegSam.Tests.Imaging.DicomTests;

namespace SegSam.Tests.Imaging;

/// <summary>
/// Compressed (encapsulated) pixel data: each compressed file among pydicom's test files against
/// its uncompressed twin and dcmtk's decompression of it; the framing variants of PS3.5 §A.4
/// (Basic Offset Table empty or not, several fragments per frame, Extended Offset Table) built
/// with pydicom.encaps; whole series compressed with dcmtk against the uncompressed series; and
/// damaged streams, which must give a <see cref="DicomFormatException"/> naming the file.
/// </summary>
public class DicomCompressedTests
{
    /// <summary>Runs a dcmtk or GDCM command line, failing the test with its output when it fails.</summary>
    static void Tool(string tool, params string[] args) => Dcmtk(tool, args);

    static long[] Stored(string file) => DicomPixelData.From(DicomFile.Read(file)).StoredValues();

    // ---- RLE Lossless ---------------------------------------------------------------------------

    [Theory]
    [InlineData("MR_small_RLE.dcm", "MR_small.dcm")]              // 16-bit signed
    [InlineData("rtdose_rle.dcm", "rtdose.dcm")]                  // 32-bit, 15 frames
    [InlineData("rtdose_rle_1frame.dcm", "rtdose_1frame.dcm")]
    public void RleFilesDecodeToTheirUncompressedTwins(string compressed, string twin)
    {
        using var dir = new TempDir();
        string decompressed = dir.File("dcmdrle.dcm");
        Dcmtk("dcmdrle", TestFile(compressed), decompressed);

        var expected = Stored(TestFile(twin));
        Assert.Equal(expected, Stored(TestFile(compressed)));
        Assert.Equal(expected, Stored(decompressed));
    }

    [Fact]
    public void RleCompressedSeriesLoadsAsTheUncompressedVolume()
    {
        using var plain = new TempDir();
        using var rle = new TempDir();
        WriteSeries(plain.Path);
        foreach (var name in new[] { "expected.data", "expected.affine" }) File.Delete(Path.Combine(plain.Path, name));
        foreach (var file in Directory.GetFiles(plain.Path))
            Dcmtk("dcmcrle", file, Path.Combine(rle.Path, Path.GetFileName(file)));

        Assert.Equal("1.2.840.10008.1.2.5", DicomFile.Read(Directory.GetFiles(rle.Path)[0], readPixels: false).TransferSyntax.Uid);
        AssertSameVolume(plain.Path, rle.Path);
    }

    // ---- JPEG -----------------------------------------------------------------------------------

    /// <summary>
    /// A three-frame 16-bit signed image (MR_small, its negation and a shifted copy), so that JPEG
    /// frames hold the high bit and several frames share one Pixel Data.
    /// </summary>
    /// <param name="unsigned">Unsigned instead: MR_small, a shifted copy and its mirror image.</param>
    static string MultiFrame(TempDir dir, bool unsigned = false)
    {
        string file = dir.File("multiframe.dcm");
        Python.Run($$"""
            import numpy as np, pydicom
            ds = pydicom.dcmread('{{TestFile("MR_small.dcm")}}')
            a = ds.pixel_array.astype(np.int16)
            frames = np.stack([a, -a, a - 3000]).astype('<i2')
            if {{(unsigned ? "True" : "False")}}:
                frames = np.stack([a, a + 3000, a[:, ::-1]]).astype('<u2')
                ds.PixelRepresentation = 0
            ds.PixelData = frames.tobytes()
            ds.NumberOfFrames = 3
            ds.save_as('{{file}}')
            """);
        return file;
    }

    /// <summary>
    /// dcmcjpeg's encodings of <paramref name="source"/> (a pydicom test file or the three-frame
    /// image) read as dcmdjpeg decodes them: exactly for lossless and 8-bit lossy, within
    /// <paramref name="tolerance"/> for 12-bit lossy (JpegLibrary's IDCT is not IJG's).
    /// </summary>
    [Theory]
    [InlineData("MR_small.dcm", "", "1.2.840.10008.1.2.4.70", 0)]                       // lossless SV1 (dcmcjpeg's default)
    [InlineData("MR_small.dcm", "+el +sv 1", "1.2.840.10008.1.2.4.57", 0)]              // lossless process 14, predictor 1
    [InlineData("multiframe", "+fs 1 -ot", "1.2.840.10008.1.2.4.70", 0)]                // 1 kB fragments, empty offset table
    [InlineData("multiframe", "+el +sv 1 +fs 1", "1.2.840.10008.1.2.4.57", 0)]          // 1 kB fragments, offset table
    [InlineData("CT_small.dcm", "+eb", "1.2.840.10008.1.2.4.50", 0)]                    // baseline (8-bit)
    [InlineData("MR_small.dcm", "+ee", "1.2.840.10008.1.2.4.51", 6)]                    // extended (12-bit)
    [InlineData("JPGExtended.dcm", null, "1.2.840.10008.1.2.4.51", 6)]                  // pydicom's 12-bit lossy files
    [InlineData("JPEG-lossy.dcm", null, "1.2.840.10008.1.2.4.51", 6)]
    public void JpegFramesDecodeAsDcmdjpegDecodesThem(string source, string? options, string syntax, int tolerance)
    {
        using var dir = new TempDir();
        string original = source == "multiframe" ? MultiFrame(dir) : TestFile(source);
        string compressed = original;
        if (options is not null)
        {
            compressed = dir.File("compressed.dcm");
            Dcmtk("dcmcjpeg", [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), original, compressed]);
        }
        string decompressed = dir.File("dcmdjpeg.dcm");
        Dcmtk("dcmdjpeg", compressed, decompressed);
        Assert.Equal(syntax, DicomFile.Read(compressed, readPixels: false).TransferSyntax.Uid);

        var expected = Stored(decompressed);
        var actual = Stored(compressed);
        Assert.Equal(expected.Length, actual.Length);
        long worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"largest difference from dcmdjpeg {worst}, allowed {tolerance}");
        if (syntax is "1.2.840.10008.1.2.4.70" or "1.2.840.10008.1.2.4.57") Assert.Equal(Stored(original), actual);
    }

    /// <summary>Every lossless predictor (2–7 by the hand-written LosslessJpeg), also with a point transform, decodes as dcmdjpeg does and (without the point transform) to the original. dcmcjpeg writes no restart intervals, so LosslessJpeg's restart handling is untested.</summary>
    [Theory]
    [InlineData("+el +sv 2")]
    [InlineData("+el +sv 3")]
    [InlineData("+el +sv 4")]
    [InlineData("+el +sv 5")]
    [InlineData("+el +sv 6")]
    [InlineData("+el +sv 7")]
    [InlineData("+el +sv 6 +pt 2")]
    public void LosslessJpegWithEveryPredictorDecodesAsDcmdjpeg(string options)
    {
        using var dir = new TempDir();
        string original = MultiFrame(dir);
        string compressed = dir.File("compressed.dcm"), decompressed = dir.File("dcmdjpeg.dcm");
        Dcmtk("dcmcjpeg", [.. options.Split(' '), original, compressed]);
        Dcmtk("dcmdjpeg", compressed, decompressed);
        Assert.Equal(Stored(decompressed), Stored(compressed));
        if (!options.Contains("+pt")) Assert.Equal(Stored(original), Stored(compressed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("+el +sv 1")]
    public void LosslessJpegSeriesLoadsAsTheUncompressedVolume(string options)
    {
        using var plain = new TempDir();
        using var jpeg = new TempDir();
        WriteSeries(plain.Path);
        foreach (var name in new[] { "expected.data", "expected.affine" }) File.Delete(Path.Combine(plain.Path, name));
        foreach (var file in Directory.GetFiles(plain.Path))
            Dcmtk("dcmcjpeg", [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), file, Path.Combine(jpeg.Path, Path.GetFileName(file))]);

        AssertSameVolume(plain.Path, jpeg.Path);
    }

    /// <summary>Damage to a lossless and a baseline JPEG frame of MR_small / CT_small and the message it must give.</summary>
    [Theory]
    [InlineData("", "frames = [f[:len(f) // 2] for f in frames]", "cannot be decoded")]
    [InlineData("", "frames = [f[:2] + b'\\xff\\xc3\\x00\\x0b\\x10\\x00\\x40\\x00\\x41\\x01\\x01\\x11\\x00' + f[2:] for f in frames]", "64 × 64 with 1")]
    [InlineData("", "frames = [f[:300] + bytes(range(256)) * 8 + f[300:] for f in frames]", "cannot be decoded")]
    [InlineData("", "frames = [b'\\x00' + f for f in frames]", "does not start with a JPEG SOI")]
    [InlineData("+eb", "frames = [f[:len(f) // 3] for f in frames]", "cannot be decoded")]
    [InlineData("+el +sv 6", "frames = [f[:len(f) // 2] for f in frames]", "the lossless JPEG scan data ends early")]
    [InlineData("+el +sv 6", "frames = [f[:-300] + bytes(range(256)) + f[-44:] for f in frames]", "cannot be decoded")]
    [InlineData("+el +sv 6", "frames = [f.replace(b'\\xff\\xc4', b'\\xff\\xfe', 1) for f in frames]", "which is not defined")]
    [InlineData("+eb", "frames = [f[:40] for f in frames]", "cannot be decoded")]
    public void DamagedJpegStreamsGiveAFormatErrorNamingTheFile(string options, string damage, string message)
    {
        using var dir = new TempDir();
        string compressed = dir.File("compressed.dcm");
        string source = TestFile(options == "+eb" ? "CT_small.dcm" : "MR_small.dcm");
        Dcmtk("dcmcjpeg", [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), source, compressed]);
        string file = Damage(dir, compressed, 1, damage);
        AssertRefusedNamingTheFile(file, message);
    }

    /// <summary>The series in <paramref name="compressed"/> loads as the one in <paramref name="plain"/>: same dims, voxels and affine.</summary>
    static void AssertSameVolume(string plain, string compressed)
    {
        var expected = DicomSeries.Load(plain).Volume;
        var actual = DicomSeries.Load(compressed).Volume;
        Assert.Equal(expected.Dims, actual.Dims);
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(expected.Affine, actual.Affine);
    }

    /// <summary>Reading <paramref name="file"/>'s pixels fails with a format error that starts with the file's path and says <paramref name="message"/>.</summary>
    internal static void AssertRefusedNamingTheFile(string file, string message)
    {
        var ds = DicomFile.Read(file);
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(ds));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(message, e.Message);
    }

    /// <summary>Rewrites <paramref name="source"/>'s frames with a Python statement on `frames` (or one that sets `data`).</summary>
    internal static string Damage(TempDir dir, string source, int frameCount, string damage)
    {
        string file = dir.File("damaged.dcm");
        Python.Run($$"""
            import pydicom
            from pydicom.encaps import encapsulate, generate_pixel_data_frame
            ds = pydicom.dcmread('{{source}}')
            frames = list(generate_pixel_data_frame(ds.PixelData, {{frameCount}}))
            data = None
            {{damage}}
            ds.PixelData = data if data is not None else encapsulate(frames, has_bot=True)
            ds.save_as('{{file}}')
            """);
        return file;
    }

    // ---- JPEG-LS --------------------------------------------------------------------------------

    /// <summary>
    /// JPEG-LS (CharLS) against dcmdjpls: pydicom's lossless file also against its twin, dcmcjpls
    /// lossless encodings exactly equal to the original, near-lossless within its NEAR bound of
    /// the original and exactly equal to dcmdjpls's decoding.
    /// </summary>
    [Theory]
    [InlineData("MR_small_jpeg_ls_lossless.dcm", null, "1.2.840.10008.1.2.4.80", 0)]
    [InlineData("MR_small.dcm", "", "1.2.840.10008.1.2.4.80", 0)]
    [InlineData("multiframe", "+fs 1", "1.2.840.10008.1.2.4.80", 0)]
    [InlineData("CT_small.dcm", "", "1.2.840.10008.1.2.4.80", 0)]
    [InlineData("unsigned", "+en +md 3", "1.2.840.10008.1.2.4.81", 3)]    // dcmcjpls's near-lossless takes unsigned data only
    [InlineData("unsigned", "+en +fs 1", "1.2.840.10008.1.2.4.81", 2)]
    public void JpegLsFramesDecodeAsDcmdjplsDecodesThem(string source, string? options, string syntax, int near)
    {
        using var dir = new TempDir();
        string original = source == "multiframe" ? MultiFrame(dir) : source == "unsigned" ? MultiFrame(dir, unsigned: true) : TestFile(source);
        string compressed = original;
        if (options is not null)
        {
            compressed = dir.File("compressed.dcm");
            Dcmtk("dcmcjpls", [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), original, compressed]);
        }
        else original = TestFile("MR_small.dcm");
        string decompressed = dir.File("dcmdjpls.dcm");
        Dcmtk("dcmdjpls", compressed, decompressed);
        Assert.Equal(syntax, DicomFile.Read(compressed, readPixels: false).TransferSyntax.Uid);

        var actual = Stored(compressed);
        Assert.Equal(Stored(decompressed), actual);
        var expected = Stored(original);
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= near);
    }

    [Fact]
    public void JpegLsSeriesLoadsAsTheUncompressedVolume()
    {
        using var plain = new TempDir();
        using var jpegLs = new TempDir();
        WriteSeries(plain.Path);
        foreach (var name in new[] { "expected.data", "expected.affine" }) File.Delete(Path.Combine(plain.Path, name));
        foreach (var file in Directory.GetFiles(plain.Path))
            Dcmtk("dcmcjpls", file, Path.Combine(jpegLs.Path, Path.GetFileName(file)));

        AssertSameVolume(plain.Path, jpegLs.Path);
    }

    [Theory]
    [InlineData("frames = [f[:len(f) // 2] for f in frames]", "CharLS failed decoding")]
    [InlineData("frames = [f[:30] for f in frames]", "CharLS failed")]
    [InlineData("frames = [f[:200] + bytes(range(256)) * 4 + f[200:] for f in frames]", "cannot be decoded")]
    [InlineData("frames = [b'\\xff\\xd8\\xff\\xd9' for f in frames]", "CharLS failed")]
    [InlineData("frames = [b'\\x00\\x00' for f in frames]", "cannot be decoded")]
    public void DamagedJpegLsStreamsGiveAFormatErrorNamingTheFile(string damage, string message)
    {
        using var dir = new TempDir();
        string file = Damage(dir, TestFile("MR_small_jpeg_ls_lossless.dcm"), 1, damage);
        AssertRefusedNamingTheFile(file, message);
    }

    // ---- JPEG 2000 ------------------------------------------------------------------------------

    /// <summary>
    /// JPEG 2000 (OpenJPEG) against GDCM's decompression (gdcmconv --raw, itself on OpenJPEG):
    /// pydicom's two files, gdcmconv --j2k's lossless encodings (also equal to the original) and a
    /// lossy one.
    /// </summary>
    [Theory]
    [InlineData("MR_small_jp2klossless.dcm", null, "1.2.840.10008.1.2.4.90", true)]
    [InlineData("JPEG2000.dcm", null, "1.2.840.10008.1.2.4.91", false)]
    [InlineData("MR_small.dcm", "--j2k", "1.2.840.10008.1.2.4.90", true)]
    [InlineData("CT_small.dcm", "--j2k", "1.2.840.10008.1.2.4.90", true)]
    [InlineData("multiframe", "--j2k", "1.2.840.10008.1.2.4.90", true)]
    [InlineData("MR_small.dcm", "--j2k --lossy -q 30", "1.2.840.10008.1.2.4.91", false)]
    public void Jpeg2000FramesDecodeAsGdcmDecodesThem(string source, string? options, string syntax, bool lossless)
    {
        using var dir = new TempDir();
        string original = source == "multiframe" ? MultiFrame(dir) : TestFile(source);
        string compressed = original;
        if (options is not null)
        {
            compressed = dir.File("compressed.dcm");
            Tool("gdcmconv", [.. options.Split(' '), original, compressed]);
        }
        else original = TestFile("MR_small.dcm");
        string decompressed = dir.File("raw.dcm");
        Tool("gdcmconv", "--raw", compressed, decompressed);
        Assert.Equal(syntax, DicomFile.Read(compressed, readPixels: false).TransferSyntax.Uid);

        var actual = Stored(compressed);
        Assert.Equal(Stored(decompressed), actual);
        if (lossless) Assert.Equal(Stored(original), actual);
    }

    /// <summary>
    /// A series whose slices are JPEG 2000 lossless codestreams. gdcmconv 3.0.21 --j2k refuses most
    /// of these 7 × 9 signed slices ("Could not change the Transfer Syntax"), so each slice is
    /// compressed by OpenJPEG's opj_compress (from its raw little-endian samples) and encapsulated
    /// by pydicom; gdcmconv --raw decodes them back to the original (checked when this was written).
    /// </summary>
    [Fact]
    public void Jpeg2000SeriesLoadsAsTheUncompressedVolume()
    {
        using var plain = new TempDir();
        using var j2k = new TempDir();
        WriteSeries(plain.Path);
        foreach (var name in new[] { "expected.data", "expected.affine" }) File.Delete(Path.Combine(plain.Path, name));
        Python.Run($$"""
            import glob, os, subprocess, pydicom
            from pydicom.encaps import encapsulate
            for f in sorted(glob.glob('{{plain.Path}}/*')):
                ds = pydicom.dcmread(f)
                raw, stream = '{{j2k.Path}}/slice.rawl', '{{j2k.Path}}/slice.j2k'
                open(raw, 'wb').write(ds.PixelData)
                subprocess.run(['opj_compress', '-i', raw, '-o', stream, '-F', '%d,%d,1,16,s' % (ds.Columns, ds.Rows), '-n', '2'],
                               check=True, capture_output=True)
                ds.PixelData = encapsulate([open(stream, 'rb').read()])
                ds['PixelData'].VR = 'OB'
                ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.90'
                ds.save_as(os.path.join('{{j2k.Path}}', os.path.basename(f)))
                os.remove(raw); os.remove(stream)
            """);

        Assert.Equal("1.2.840.10008.1.2.4.90", DicomFile.Read(Directory.GetFiles(j2k.Path)[0], readPixels: false).TransferSyntax.Uid);
        AssertSameVolume(plain.Path, j2k.Path);
    }

    [Theory]
    [InlineData("frames = [f[:len(f) // 2] for f in frames]", "OpenJPEG failed decoding")]
    [InlineData("frames = [f[:40] for f in frames]", "OpenJPEG failed")]
    [InlineData("frames = [f[:300] + bytes(range(256)) * 4 + f[300:] for f in frames]", "cannot be decoded")]
    [InlineData("frames = [b'\\xff\\xd8' + f[2:] for f in frames]", "neither a JPEG 2000 codestream")]
    [InlineData("frames = [f[:8] + (4096).to_bytes(4, 'big') + f[12:] for f in frames]", "the dataset says 64 × 64")]
    public void DamagedJpeg2000StreamsGiveAFormatErrorNamingTheFile(string damage, string message)
    {
        using var dir = new TempDir();
        string file = Damage(dir, TestFile("MR_small_jp2klossless.dcm"), 1, damage);
        AssertRefusedNamingTheFile(file, message);
    }

    // ---- the command line -------------------------------------------------------------------

    /// <summary>`segsam info` reads each compressed kind, and a damaged stream of each ends in exit 3 with a message naming the file.</summary>
    [Fact]
    public void TheCliReadsCompressedFilesAndRefusesDamagedOnesWithExit3()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "JPGExtended.dcm" })
        {
            var ok = Support.Cli.Run("info", "--json", TestFile(name));
            Assert.True(ok.ExitCode == 0, ok.ToString());
            string damaged = Damage(dir, TestFile(name), 1, "frames = [f[:len(f) // 2] for f in frames]");
            var cli = Support.Cli.Run("info", "--json", damaged);
            Assert.True(cli.ExitCode == 3, cli.ToString());
            Assert.Contains(damaged + ": ", cli.StdErr);
        }
    }

    // ---- framing --------------------------------------------------------------------------------

    /// <summary>
    /// Re-encapsulates the frames of <paramref name="source"/> (RLE, or raw frames under
    /// Encapsulated Uncompressed 1.2.840.10008.1.2.1.98) as <paramref name="variant"/> says.
    /// </summary>
    static string Reframe(TempDir dir, string source, string variant)
    {
        string file = dir.File(variant + ".dcm");
        Python.Run($$"""
            import numpy as np, pydicom
            from pydicom.encaps import encapsulate, encapsulate_extended, generate_pixel_data_frame
            ds = pydicom.dcmread('{{source}}')
            n = int(ds.get('NumberOfFrames', 1))
            variant = '{{variant}}'
            if ds.file_meta.TransferSyntaxUID.is_compressed:
                frames = list(generate_pixel_data_frame(ds.PixelData, n))
            else:
                size = ds.Rows * ds.Columns * ds.BitsAllocated // 8
                frames = [ds.PixelData[i * size:(i + 1) * size] for i in range(n)]
                ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.1.98'
                ds.is_little_endian, ds.is_implicit_VR = True, False
            if variant == 'bot':
                data = encapsulate(frames, has_bot=True)
            elif variant == 'empty-bot':
                data = encapsulate(frames, has_bot=False)
            elif variant == 'bot-3-fragments':
                data = encapsulate(frames, fragments_per_frame=3, has_bot=True)
            elif variant == 'one-frame-3-fragments':
                data = encapsulate(frames, fragments_per_frame=3, has_bot=False)
            elif variant == 'eot':
                data, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)
            ds.PixelData = data
            ds['PixelData'].is_undefined_length = True
            ds['PixelData'].VR = 'OB'
            ds.save_as('{{file}}', write_like_original=False)
            """);
        return file;
    }

    [Theory]
    [InlineData("rtdose_rle.dcm", "rtdose.dcm", "bot")]
    [InlineData("rtdose_rle.dcm", "rtdose.dcm", "empty-bot")]
    [InlineData("rtdose_rle.dcm", "rtdose.dcm", "bot-3-fragments")]
    [InlineData("rtdose_rle.dcm", "rtdose.dcm", "eot")]
    [InlineData("rtdose.dcm", "rtdose.dcm", "bot")]
    [InlineData("rtdose.dcm", "rtdose.dcm", "empty-bot")]
    [InlineData("rtdose.dcm", "rtdose.dcm", "bot-3-fragments")]
    [InlineData("rtdose.dcm", "rtdose.dcm", "eot")]
    [InlineData("MR_small.dcm", "MR_small.dcm", "one-frame-3-fragments")]
    public void EveryFramingOfEncapsulatedPixelDataReadsAlike(string source, string twin, string variant)
    {
        using var dir = new TempDir();
        string file = Reframe(dir, TestFile(source), variant);
        Assert.Equal(Stored(TestFile(twin)), Stored(file));
    }

    // ---- damaged streams ------------------------------------------------------------------------

    /// <summary>Each damage to rtdose_rle.dcm (15 frames of 10 × 10, 32-bit) and the message it must give.</summary>
    [Theory]
    [InlineData("frames = [f[:len(f) // 2] for f in frames]", "frame 1 of 15 (RLE Lossless) cannot be decoded")]
    [InlineData("frames = [f[:-8] for f in frames]", "RLE segment 4 ")]
    [InlineData("frames = [bytes([3]) + f[1:] for f in frames]", "names 3 segments")]
    [InlineData("frames = [f[:4] + (10**6).to_bytes(4, 'little') + f[8:] for f in frames]", "RLE segment 1 spans")]
    [InlineData("frames = [f[:20] for f in frames]", "the frame has 20")]
    [InlineData("data = encapsulate(frames[:-1], has_bot=True)", "not 4 for each of the 15 frames")]
    [InlineData("data = encapsulate(frames, fragments_per_frame=2, has_bot=False)", "do not split into frames")]
    [InlineData("data = encapsulate(frames, has_bot=True); data = data[:12] + (5).to_bytes(4, 'little') + data[16:]", "not the start of a fragment")]
    public void DamagedRleStreamsGiveAFormatErrorNamingTheFile(string damage, string message)
    {
        using var dir = new TempDir();
        string file = Damage(dir, TestFile("rtdose_rle.dcm"), 15, damage);
        AssertRefusedNamingTheFile(file, message);
    }
}
