using SegSam.Imaging;

namespace SegSam.Tests.Imaging;

/// <summary>
/// Damage sweeps over small JPEGs, BMPs and PNGs: every cut-short prefix is refused (never
/// decoded to padded pixels), and a file with any one byte changed either decodes or is refused
/// with an <see cref="InvalidDataException"/> that names it — no other exception, no hang.
/// </summary>
public sealed class DamagedPictureTests(PictureFiles files) : IClassFixture<PictureFiles>
{
    public static TheoryData<string> Cases =>
    [
        "small_jpeg_gray", "small_jpeg_rgb420", "small_jpeg_progressive", "bmp_palette8", "bmp_rgb24", "bmp_bitfields32_v5",
        "bmp_1bit", "small_png_gray", "small_png_rgb",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_cut_of_a_picture_is_refused_naming_it(string name)
    {
        byte[] whole = File.ReadAllBytes(files.PathOf(name));
        string source = files.PathOf(name);
        Assert.Null(Attempt(whole, source));
        for (int length = 0; length < whole.Length; length++)
        {
            var error = Attempt(whole[..length], source);
            Assert.True(error is InvalidDataException, $"the first {length} of {whole.Length} bytes: {Describe(error)}");
            Assert.StartsWith(source + ": ", error!.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_changed_byte_decodes_or_is_refused_naming_the_file(string name)
    {
        byte[] whole = File.ReadAllBytes(files.PathOf(name));
        string source = files.PathOf(name);
        var random = new Random(name.Length * 7919 + whole.Length);
        for (int trial = 0; trial < 300; trial++)
        {
            var damaged = (byte[])whole.Clone();
            int at = random.Next(damaged.Length);
            damaged[at] ^= (byte)random.Next(1, 256);
            var error = Attempt(damaged, source);
            if (error is null) continue;
            Assert.True(error is InvalidDataException, $"byte {at} changed to 0x{damaged[at]:X2}: {Describe(error)}");
            Assert.StartsWith(source + ": ", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Decodes on a thread of its own, so that a decoder stuck in a loop fails the test instead of hanging it.</summary>
    static Exception? Attempt(byte[] bytes, string source)
    {
        Exception? error = null;
        var reader = new Thread(() =>
        {
            try { PixelFile.Decode(bytes, source); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        reader.Start();
        Assert.True(reader.Join(TimeSpan.FromSeconds(20)), $"decoding {bytes.Length} bytes of {source} did not finish");
        return error;
    }

    static string Describe(Exception? e) => e is null ? "decoded without an error" : $"{e.GetType().Name}: {e}";
}
