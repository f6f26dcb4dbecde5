namespace SegSam.Imaging;

/// <summary>
/// Draws a slice with its masks and prompt into an RGB picture, upscaled by an integer factor
/// (nearest neighbour): the prediction as a tinted fill with an outline, the ground truth as an
/// outline on top (so both stay visible where they agree), then the prompt over everything.
/// </summary>
public static class OverlayRenderer
{
    public static readonly Rgb TruthColor = new(0, 255, 0);
    public static readonly Rgb PredictedColor = new(255, 0, 255);
    public static readonly Rgb BoxColor = new(255, 255, 0);
    public static readonly Rgb PositiveClickColor = new(0, 200, 0);
    public static readonly Rgb NegativeClickColor = new(230, 0, 0);
    static readonly Rgb ClickRingColor = new(255, 255, 255);

    /// <summary>Opacity of the predicted mask's fill.</summary>
    public const double FillAlpha = 0.35;

    public static RgbImage Render(OverlaySlice slice, int scale = 1)
    {
        int h = slice.Height, w = slice.Width;
        if (h <= 0 || w <= 0 || slice.Gray.Length != h * w)
            throw new ArgumentException($"{slice.Gray.Length} gray values do not fill a {h}×{w} slice");
        if (slice.Truth is { } t && t.Length != h * w) throw new ArgumentException($"the ground-truth mask has {t.Length} pixels, not {h}×{w}");
        if (slice.Predicted is { } p && p.Length != h * w) throw new ArgumentException($"the predicted mask has {p.Length} pixels, not {h}×{w}");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the scale must be at least 1");

        var image = new RgbImage(h * scale, w * scale, new byte[3 * h * w * scale * scale]);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                float g = slice.Gray[y / scale * w + x / scale];
                byte v = float.IsNaN(g) ? (byte)0 : (byte)Math.Clamp(MathF.Round(g), 0, 255);
                image[y, x] = new Rgb(v, v, v);
            }

        // Lines grow with the scale so that they stay visible next to the blown-up pixels.
        int thickness = Math.Max(1, (scale + 1) / 2);
        if (slice.Predicted is { } predicted)
        {
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                    if (predicted[y / scale * w + x / scale] != 0) image[y, x] = Blend(image[y, x], PredictedColor, FillAlpha);
            DrawOutline(image, predicted, w, scale, thickness, PredictedColor);
        }
        if (slice.Truth is { } truth) DrawOutline(image, truth, w, scale, thickness, TruthColor);
        if (slice.Box is { } box) DrawBox(image, box, scale, thickness);
        foreach (var click in slice.Clicks) DrawClick(image, click, scale);
        return image;
    }

    /// <summary>Colours the inside pixels (of the upscaled mask) that lie within <paramref name="thickness"/> of an outside pixel or the image edge.</summary>
    static void DrawOutline(RgbImage image, byte[] mask, int maskWidth, int scale, int thickness, Rgb color)
    {
        bool Inside(int y, int x) =>
            y >= 0 && x >= 0 && y < image.Height && x < image.Width && mask[y / scale * maskWidth + x / scale] != 0;

        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                if (!Inside(y, x)) continue;
                bool edge = false;
                for (int dy = -thickness; dy <= thickness && !edge; dy++)
                    for (int dx = -thickness; dx <= thickness && !edge; dx++)
                        edge = !Inside(y + dy, x + dx);
                if (edge) image[y, x] = color;
            }
    }

    /// <summary>A rectangle whose outer edge runs along the outer edge of the box's corner pixels.</summary>
    static void DrawBox(RgbImage image, OverlayBox box, int scale, int thickness)
    {
        int x0 = Clamp(Math.Min(box.X0, box.X1) * scale, image.Width);
        int y0 = Clamp(Math.Min(box.Y0, box.Y1) * scale, image.Height);
        int x1 = Clamp(Math.Max(box.X0, box.X1) * scale + scale - 1, image.Width);
        int y1 = Clamp(Math.Max(box.Y0, box.Y1) * scale + scale - 1, image.Height);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                if (x - x0 < thickness || x1 - x < thickness || y - y0 < thickness || y1 - y < thickness)
                    image[y, x] = BoxColor;
    }

    /// <summary>A filled disc centred on the clicked pixel, ringed in white so it shows on any background.</summary>
    static void DrawClick(RgbImage image, OverlayClick click, int scale)
    {
        double cx = (click.X + 0.5) * scale, cy = (click.Y + 0.5) * scale;
        double radius = Math.Max(2.5, 2.2 * scale), ring = radius + Math.Max(1.5, 0.5 * scale);
        var fill = click.Positive ? PositiveClickColor : NegativeClickColor;
        int top = Clamp(cy - ring, image.Height), bottom = Clamp(cy + ring, image.Height);
        int left = Clamp(cx - ring, image.Width), right = Clamp(cx + ring, image.Width);
        for (int y = top; y <= bottom; y++)
            for (int x = left; x <= right; x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                if (d <= radius) image[y, x] = fill;
                else if (d <= ring) image[y, x] = ClickRingColor;
            }
    }

    static int Clamp(double v, int size) => (int)Math.Clamp(Math.Round(v), 0, size - 1);

    /// <summary><paramref name="over"/> at opacity <paramref name="alpha"/> over <paramref name="under"/>.</summary>
    internal static Rgb Blend(Rgb under, Rgb over, double alpha) => new(
        (byte)Math.Round(under.R + alpha * (over.R - under.R)),
        (byte)Math.Round(under.G + alpha * (over.G - under.G)),
        (byte)Math.Round(under.B + alpha * (over.B - under.B)));
}
