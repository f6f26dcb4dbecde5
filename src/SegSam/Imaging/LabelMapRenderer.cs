namespace SegSam.Imaging;

/// <summary>
/// Draws a slice with a whole label map on it (one colour per structure, blended over the gray
/// image so the anatomy stays visible), upscaled by an integer factor (nearest neighbour); and
/// puts pictures side by side, e.g. a prediction beside its truth.
/// </summary>
internal static class LabelMapRenderer
{
    /// <summary>Colours of labels 1, 2, …: Matplotlib's "tab10" order, distinct for eight structures; cycled beyond ten.</summary>
    public static readonly Rgb[] StructureColors =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x17, 0xbe, 0xcf), new(0xbc, 0xbd, 0x22), new(0x7f, 0x7f, 0x7f),
    ];

    /// <summary>Opacity of a structure's colour over the gray image.</summary>
    public const double FillAlpha = 0.6;

    static readonly Rgb Background = new(255, 255, 255);

    /// <summary>The colour of label <paramref name="label"/> (≥ 1).</summary>
    public static Rgb ColorOf(int label) => StructureColors[(label - 1) % StructureColors.Length];

    public static RgbImage Render(int height, int width, ReadOnlySpan<float> gray, ReadOnlySpan<int> labels, int scale = 1)
    {
        if (height <= 0 || width <= 0 || gray.Length != height * width)
            throw new ArgumentException($"{gray.Length} gray values do not fill a {height}×{width} slice");
        if (labels.Length != height * width) throw new ArgumentException($"the label map has {labels.Length} pixels, not {height}×{width}");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the scale must be at least 1");
        var image = new RgbImage(height * scale, width * scale, new byte[3 * height * width * scale * scale]);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                int i = y / scale * width + x / scale;
                float g = gray[i];
                byte v = float.IsNaN(g) ? (byte)0 : (byte)Math.Clamp(MathF.Round(g), 0, 255);
                var pixel = new Rgb(v, v, v);
                image[y, x] = labels[i] > 0 ? OverlayRenderer.Blend(pixel, ColorOf(labels[i]), FillAlpha) : pixel;
            }
        return image;
    }

    /// <summary>The pictures in a row, top-aligned, <paramref name="gap"/> white pixels apart.</summary>
    public static RgbImage Beside(IReadOnlyList<RgbImage> pictures, int gap = 6)
    {
        if (pictures.Count == 0) throw new ArgumentException("no pictures to put side by side", nameof(pictures));
        int height = pictures.Max(p => p.Height), width = pictures.Sum(p => p.Width) + gap * (pictures.Count - 1);
        var row = new RgbImage(height, width, new byte[3 * height * width]);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) row[y, x] = Background;
        int left = 0;
        foreach (var p in pictures)
        {
            for (int y = 0; y < p.Height; y++)
                for (int x = 0; x < p.Width; x++) row[y, left + x] = p[y, x];
            left += p.Width + gap;
        }
        return row;
    }
}
