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

        var expected = DicomSeries.Load(plain.Path).Volume;
        var actual = DicomSeries.Load(rle.Path).Volume;
        Assert.Equal("1.2.840.10008.1.2.5", DicomFile.Read(Directory.GetFiles(rle.Path)[0], readPixels: false).TransferSyntax.Uid);
        Assert.Equal(expected.Dims, actual.Dims);
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(expected.Affine, actual.Affine);
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
        string file = dir.File("damaged.dcm");
        Python.Run($$"""
            import pydicom
            from pydicom.encaps import encapsulate, generate_pixel_data_frame
            ds = pydicom.dcmread('{{TestFile("rtdose_rle.dcm")}}')
            frames = list(generate_pixel_data_frame(ds.PixelData, 15))
            data = None
            {{damage}}
            ds.PixelData = data if data is not None else encapsulate(frames, has_bot=True)
            ds.save_as('{{file}}')
            """);
        var ds = DicomFile.Read(file);
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(ds));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(message, e.Message);
    }
}
