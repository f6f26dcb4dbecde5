using BitMiracle.LibJpeg.Classic;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// JPEGs decode to exactly PIL's values (libjpeg-turbo's islow IDCT, fancy upsampling and
/// YCbCr tables); truncated, corrupt and unsupported ones are refused, naming the file and the problem.
/// </summary>
public sealed class JpegPictureTests(PictureFiles files) : IClassFixture<PictureFiles>
{
    public static TheoryData<string> Cases =>
    [
        "jpeg_gray", "jpeg_gray_odd", "jpeg_rgb444", "jpeg_rgb422", "jpeg_rgb420", "jpeg_rgb420_narrow", "jpeg_rgb422_5x5",
        "jpeg_rgb_1x1", "jpeg_progressive", "jpeg_progressive_gray", "jpeg_optimized", "jpeg_q100", "jpeg_app_segments",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Jpeg_decodes_to_PIL_values_exactly(string name) => files.AssertDecodesLikePil(name);

    [Fact]
    public void Restart_intervals_decode_to_PIL_values_baseline_and_progressive()
    {
        // PIL cannot write restart markers; libjpeg (BitMiracle's encoder) can. Its progressive
        // files with restart markers also exercise the JpegRestartCounter workaround.
        using var dir = new TempDir();
        var names = new List<string>();
        foreach (int channels in new[] { 1, 3 })
            foreach (bool progressive in new[] { false, true })
            {
                string name = $"restart_{channels}_{(progressive ? "progressive" : "baseline")}";
                EncodeWithRestarts(dir.File(name + ".jpg"), 29, 37, channels, progressive);
                names.Add(name);
            }
        Python.Run("""
            import sys, os, numpy as np
            from PIL import Image
            for name in sys.argv[2:]:
                a = np.array(Image.open(os.path.join(sys.argv[1], name + '.jpg')))
                np.save(os.path.join(sys.argv[1], name + '.npy'), (a if a.ndim == 3 else a[:, :, None]).astype(np.float32))
            """, [dir.Path, .. names]);
        foreach (string name in names)
            PictureFiles.AssertEqualsPil(RasterImage.Load(dir.File(name + ".jpg")), dir.File(name + ".npy"), name);
    }

    static void EncodeWithRestarts(string path, int height, int width, int channels, bool progressive)
    {
        var jpeg = new jpeg_compress_struct(new jpeg_error_mgr());
        using var file = File.Create(path);
        jpeg.jpeg_stdio_dest(file);
        jpeg.Image_width = width;
        jpeg.Image_height = height;
        jpeg.Input_components = channels;
        jpeg.In_color_space = channels == 3 ? J_COLOR_SPACE.JCS_RGB : J_COLOR_SPACE.JCS_GRAYSCALE;
        jpeg.jpeg_set_defaults(); // 4:2:0 for RGB
        jpeg.Restart_interval = 1;
        if (progressive) jpeg.jpeg_simple_progression();
        jpeg.jpeg_start_compress(true);
        var random = new Random(height * width + channels);
        var row = new[] { new byte[width * channels] };
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < row[0].Length; x++) row[0][x] = (byte)(x * 3 + y * 5 + random.Next(40));
            jpeg.jpeg_write_scanlines(row, 1);
        }
        jpeg.jpeg_finish_compress();
    }

    [Theory]
    [InlineData("jpeg_gray", "truncated JPEG: the entropy-coded data ends before the last MCU (scan 1)")]
    [InlineData("jpeg_rgb420", "truncated JPEG: the entropy-coded data ends before the last MCU (scan 1)")]
    // Two thirds into a progressive file may fall between two scans.
    [InlineData("jpeg_progressive", "truncated JPEG: the ")]
    public void Jpeg_cut_in_its_image_data_is_refused_as_truncated(string name, string problem)
    {
        byte[] jpeg = File.ReadAllBytes(files.PathOf(name));
        using var dir = new TempDir();
        string path = dir.File("cut.jpg");
        File.WriteAllBytes(path, jpeg[..(jpeg.Length * 2 / 3)]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), problem);
        FormatErrors.Rejected(path, () => MedicalImage.Load(path), "truncated JPEG");
    }

    [Fact]
    public void Jpeg_cut_in_its_headers_or_before_its_end_marker_is_refused_as_truncated()
    {
        byte[] jpeg = File.ReadAllBytes(files.PathOf("jpeg_rgb420"));
        using var dir = new TempDir();
        string path = dir.File("cut.jpg");
        File.WriteAllBytes(path, jpeg[..100]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "truncated JPEG: the file ends in its headers");
        File.WriteAllBytes(path, jpeg[..^2]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "truncated JPEG: the file ends after scan 1, before its end-of-image (EOI) marker");
        // A file cut in its APP0 segment made StbImageSharp loop forever.
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "truncated JPEG");
    }

    [Theory]
    [InlineData("jpeg_gray")]
    [InlineData("jpeg_rgb420")]
    public void Jpeg_with_damaged_huffman_tables_is_refused_as_corrupt(string name)
    {
        byte[] jpeg = File.ReadAllBytes(files.PathOf(name));
        int dht = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC4]);
        for (int i = dht + 25; i <= dht + 35; i++) jpeg[i] ^= 0xFF;
        using var dir = new TempDir();
        string path = dir.File("huffman.jpg");
        File.WriteAllBytes(path, jpeg);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "corrupt JPEG");
    }

    [Fact]
    public void Jpeg_with_garbage_inside_its_scan_is_refused_naming_the_scan()
    {
        byte[] jpeg = File.ReadAllBytes(files.PathOf("jpeg_gray"));
        int scan = jpeg.AsSpan().LastIndexOf([(byte)0xFF, (byte)0xDA]);
        // Zeros in the entropy-coded data decode as other codes: the scan then ends early or late.
        Array.Clear(jpeg, scan + 40, 60);
        using var dir = new TempDir();
        string path = dir.File("garbage.jpg");
        File.WriteAllBytes(path, jpeg);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "corrupt JPEG");
        Assert.Contains("in scan 1", Assert.Throws<InvalidDataException>(() => RasterImage.Load(path)).Message);
    }

    [Fact]
    public void Jpeg_claiming_a_frame_larger_than_its_data_can_hold_is_refused_before_decoding()
    {
        // A progressive decoder holds the whole frame's coefficients: 65280×65280 would take gigabytes.
        byte[] jpeg = File.ReadAllBytes(files.PathOf("jpeg_progressive"));
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC2]);
        byte[] size = [0xFF, 0x00, 0xFF, 0x00];
        size.CopyTo(jpeg, sof + 5);
        using var dir = new TempDir();
        string path = dir.File("huge.jpg");
        File.WriteAllBytes(path, jpeg);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), $"corrupt JPEG: a 65280×65280 frame needs more data than the {jpeg.Length:N0}-byte file holds");
    }

    [Fact]
    public void Unsupported_jpeg_processes_are_refused_as_such()
    {
        byte[] jpeg = File.ReadAllBytes(files.PathOf("jpeg_gray"));
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        using var dir = new TempDir();
        string path = dir.File("unsupported.jpg");

        var arithmetic = (byte[])jpeg.Clone();
        arithmetic[sof + 1] = 0xC9;
        File.WriteAllBytes(path, arithmetic);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "unsupported JPEG: arithmetic-coded (SOF9)");

        var lossless = (byte[])jpeg.Clone();
        lossless[sof + 1] = 0xC3;
        File.WriteAllBytes(path, lossless);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "unsupported JPEG: lossless (SOF3)");

        var twelveBit = (byte[])jpeg.Clone();
        twelveBit[sof + 4] = 12;
        File.WriteAllBytes(path, twelveBit);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "unsupported JPEG: 12-bit samples");

        string cmyk = files.File("jpeg_cmyk.jpg");
        FormatErrors.Rejected(cmyk, () => RasterImage.Load(cmyk), "unsupported JPEG: 4 colour components");
    }
}
