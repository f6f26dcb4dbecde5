using System.Buffers.Binary;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// BMPs decode to PIL's values (gray palettes as one channel); truncated, inconsistent and
/// RLE-compressed ones are refused, naming the file and the problem.
/// </summary>
public sealed class BmpPictureTests(PictureFiles files) : IClassFixture<PictureFiles>
{
    public static TheoryData<string> Cases =>
    [
        "bmp_gray8", "bmp_palette8", "bmp_1bit", "bmp_rgb24", "bmp_rgba32", "bmp_rgb24_top_down", "bmp_gray8_top_down",
        "bmp_palette4", "bmp_bitfields32_v5",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bmp_decodes_to_PIL_values_exactly(string name) => files.AssertDecodesLikePil(name);

    [Fact]
    public void Sixteen_bit_bmp_is_within_one_level_of_PIL()
    {
        // 5- and 6-bit fields widen to 8 bits by bit replication in StbImageSharp, by scaling in PIL.
        var image = RasterImage.Load(files.PathOf("bmp_rgb565"));
        var expected = NpyFile.Read(files.File("bmp_rgb565.npy")).ToFloat32();
        Assert.Equal(expected.Length, image.Data.Length);
        Assert.True(expected.Zip(image.Data, (a, b) => Math.Abs(a - b)).Max() <= 1);
    }

    [Fact]
    public void Bmp_cut_short_is_refused_with_its_byte_counts()
    {
        byte[] bmp = File.ReadAllBytes(files.PathOf("bmp_rgb24"));
        using var dir = new TempDir();
        string path = dir.File("cut.bmp");
        int half = bmp.Length / 2;
        File.WriteAllBytes(path, bmp[..half]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), $"truncated BMP: {half:N0} of {bmp.Length:N0} bytes");
        FormatErrors.Rejected(path, () => MedicalImage.Load(path), "truncated BMP");
        File.WriteAllBytes(path, bmp[..30]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "truncated BMP: 30 bytes end inside its 40-byte info header");
        File.WriteAllBytes(path, bmp[..^1]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "truncated BMP");
    }

    [Fact]
    public void Bmp_whose_headers_disagree_or_that_is_rle_compressed_is_refused()
    {
        byte[] bmp = File.ReadAllBytes(files.PathOf("bmp_palette8"));
        using var dir = new TempDir();
        string path = dir.File("bad.bmp");

        var rle = (byte[])bmp.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(rle.AsSpan(30), 1);
        File.WriteAllBytes(path, rle);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "unsupported BMP: RLE compression");

        var overlap = (byte[])bmp.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(overlap.AsSpan(10), 100); // pixels said to start inside the palette
        File.WriteAllBytes(path, overlap);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "overlaps the headers and palette");

        var header = (byte[])bmp.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(14), 41);
        File.WriteAllBytes(path, header);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "unknown info header size 41");
    }
}
