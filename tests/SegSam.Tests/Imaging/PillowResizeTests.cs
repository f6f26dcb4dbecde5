using System.Security.Cryptography;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// PillowBilinearResize against Pillow 9.4's own BILINEAR resize (tests/fixtures/pillow-resize,
/// written by scripts/make_pillow_resize_fixture.py): every byte of every case must be equal —
/// random sizes up and down on each axis, gray and RGB, single pixels and lines, one axis kept,
/// and SAM's longest-side sizes (181×217 → 854×1024, 2000×1500 → 1024×768, …).
/// </summary>
public class PillowResizeTests
{
    static readonly string FixtureFile = Path.Combine(Fixtures.RepoFixtures, "pillow-resize", "cases.json");

    public static TheoryData<int> Cases
    {
        get
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(FixtureFile));
            var data = new TheoryData<int>();
            int n = doc.RootElement.GetProperty("cases").GetArrayLength();
            for (int i = 0; i < n; i++) data.Add(i);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPillowByteForByte(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixtureFile));
        var c = doc.RootElement.GetProperty("cases")[index];
        int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32(), ch = c.GetProperty("channels").GetInt32();
        int oh = c.GetProperty("out_height").GetInt32(), ow = c.GetProperty("out_width").GetInt32();
        var input = Generate(c.GetProperty("pattern").GetString()!, c.GetProperty("seed").GetUInt32(), h * w * ch);
        Assert.Equal(c.GetProperty("input_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(input)));

        var ours = PillowBilinearResize.Resize(input, h, w, ch, oh, ow);

        string what = $"{h}×{w}×{ch} → {oh}×{ow}";
        if (c.TryGetProperty("output", out var whole))
        {
            var pillow = Convert.FromBase64String(whole.GetString()!);
            Assert.Equal(pillow.Length, ours.Length);
            int first = Enumerable.Range(0, pillow.Length).FirstOrDefault(i => pillow[i] != ours[i], -1);
            Assert.True(first < 0, $"{what}: byte {first} is {ours[Math.Max(first, 0)]}, Pillow has {pillow[Math.Max(first, 0)]}");
        }
        Assert.True(c.GetProperty("output_sha256").GetString() == Convert.ToHexStringLower(SHA256.HashData(ours)), $"{what}: output differs from Pillow's");
    }

    [Fact]
    public void RasterImagesKeepTheirChannelsAndRefuseNonBytes()
    {
        var gray = RasterImage.FromBytes(3, 5, 1, Generate("noise", 9, 15));
        var resized = PillowBilinearResize.Resize(gray, 7, 2);
        Assert.Equal((7, 2, 1, true), (resized.Height, resized.Width, resized.Channels, resized.IsUInt8));
        Assert.Equal(PillowBilinearResize.Resize(Generate("noise", 9, 15), 3, 5, 1, 7, 2).Select(b => (float)b), resized.Data);

        var floats = new RasterImage(2, 2, 1, [0, 1, 2, 3], isUInt8: false);
        Assert.Throws<ArgumentException>(() => PillowBilinearResize.Resize(floats, 4, 4));
        var fractional = new RasterImage(2, 2, 1, [0, 1.5f, 2, 3], isUInt8: true);
        Assert.Throws<ArgumentException>(() => PillowBilinearResize.Resize(fractional, 4, 4));
    }

    /// <summary>The fixture script's generator: murmur3's 32-bit finaliser of (index + seed · 0x9E3779B9).</summary>
    static byte[] Generate(string pattern, uint seed, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            uint x = unchecked((uint)i + seed * 0x9E3779B9u);
            x ^= x >> 16;
            x = unchecked(x * 0x85EBCA6Bu);
            x ^= x >> 13;
            x = unchecked(x * 0xC2B2AE35u);
            x ^= x >> 16;
            bytes[i] = pattern switch
            {
                "noise" => (byte)x,
                "binary" => (byte)((x & 1) * 255),
                _ => throw new InvalidDataException($"unknown pattern {pattern}"),
            };
        }
        return bytes;
    }
}
