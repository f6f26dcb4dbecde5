namespace SegSam.Imaging;

/// <summary>
/// Brings one JPEG component, as the inverse DCT left it at its subsampled size, to the image's
/// full size the way libjpeg-turbo does by default (and so PIL, whose values SegSam must
/// match): "fancy" triangle-filter upsampling for 2:1 horizontal, 2:1 vertical and 2:1 both
/// ways — each output sample ¾ the nearer input sample and ¼ the farther one, in each
/// direction, with libjpeg-turbo's rounding biases and the edge samples repeated — and plain
/// replication for other whole-number ratios and for planes at most two samples wide.
/// libjpeg 9, which BitMiracle ports, upsamples through a scaled IDCT instead; its values
/// differ from PIL's by up to about 40 levels, hence this step of our own.
/// </summary>
internal static class JpegUpsampler
{
    /// <summary>
    /// The full-size plane (<paramref name="width"/> × <paramref name="height"/>, row-major) of a
    /// component of <paramref name="planeWidth"/> × <paramref name="planeHeight"/> samples that
    /// covers the image at <paramref name="hFactor"/> × <paramref name="vFactor"/> pixels a sample.
    /// </summary>
    public static byte[] ToFullSize(byte[] plane, int planeWidth, int planeHeight, int hFactor, int vFactor, int width, int height)
    {
        if (hFactor == 1 && vFactor == 1) return plane;
        var output = new byte[width * height];
        if (hFactor == 2 && vFactor == 1 && planeWidth > 2) Horizontal(plane, planeWidth, planeHeight, output, width);
        else if (hFactor == 1 && vFactor == 2) Vertical(plane, planeWidth, planeHeight, output, width, height);
        else if (hFactor == 2 && vFactor == 2 && planeWidth > 2) Both(plane, planeWidth, planeHeight, output, width, height);
        else Replicate(plane, planeWidth, hFactor, vFactor, output, width, height);
        return output;
    }

    /// <summary>libjpeg-turbo's h2v1_fancy_upsample: 3:1 weights, biases +1 (left) and +2 (right).</summary>
    static void Horizontal(byte[] plane, int planeWidth, int planeHeight, byte[] output, int width)
    {
        for (int y = 0; y < planeHeight; y++)
        {
            int row = y * planeWidth, target = y * width;
            for (int x = 0; x < planeWidth; x++)
            {
                int near = 3 * plane[row + x];
                int left = plane[row + Math.Max(x - 1, 0)], right = plane[row + Math.Min(x + 1, planeWidth - 1)];
                output[target + 2 * x] = (byte)((near + left + 1) >> 2);
                if (2 * x + 1 < width) output[target + 2 * x + 1] = (byte)((near + right + 2) >> 2);
            }
        }
    }

    /// <summary>libjpeg-turbo's h1v2_fancy_upsample: 3:1 weights, biases +1 (upper row) and +2 (lower row).</summary>
    static void Vertical(byte[] plane, int planeWidth, int planeHeight, byte[] output, int width, int height)
    {
        for (int y = 0; y < planeHeight; y++)
        {
            int row = y * planeWidth;
            int above = Math.Max(y - 1, 0) * planeWidth, below = Math.Min(y + 1, planeHeight - 1) * planeWidth;
            for (int x = 0; x < planeWidth; x++)
            {
                int near = 3 * plane[row + x];
                output[2 * y * width + x] = (byte)((near + plane[above + x] + 1) >> 2);
                if (2 * y + 1 < height) output[(2 * y + 1) * width + x] = (byte)((near + plane[below + x] + 2) >> 2);
            }
        }
    }

    /// <summary>
    /// libjpeg-turbo's h2v2_fancy_upsample: vertical 3:1 sums of the nearer and farther row, then
    /// 3:1 across those sums (9/16, 3/16, 3/16, 1/16 in all), biases +8 (left) and +7 (right).
    /// </summary>
    static void Both(byte[] plane, int planeWidth, int planeHeight, byte[] output, int width, int height)
    {
        var sums = new int[planeWidth];
        for (int y = 0; y < planeHeight; y++)
            for (int half = 0; half < 2; half++)
            {
                int outY = 2 * y + half;
                if (outY >= height) break;
                int row = y * planeWidth;
                int farther = (half == 0 ? Math.Max(y - 1, 0) : Math.Min(y + 1, planeHeight - 1)) * planeWidth;
                for (int x = 0; x < planeWidth; x++) sums[x] = 3 * plane[row + x] + plane[farther + x];
                int target = outY * width;
                for (int x = 0; x < planeWidth; x++)
                {
                    int near = 3 * sums[x];
                    output[target + 2 * x] = (byte)((near + sums[Math.Max(x - 1, 0)] + 8) >> 4);
                    if (2 * x + 1 < width) output[target + 2 * x + 1] = (byte)((near + sums[Math.Min(x + 1, planeWidth - 1)] + 7) >> 4);
                }
            }
    }

    /// <summary>libjpeg-turbo's h2v1_upsample, h2v2_upsample and int_upsample: each sample repeated over its pixels.</summary>
    static void Replicate(byte[] plane, int planeWidth, int hFactor, int vFactor, byte[] output, int width, int height)
    {
        for (int y = 0; y < height; y++)
        {
            int row = y / vFactor * planeWidth, target = y * width;
            for (int x = 0; x < width; x++) output[target + x] = plane[row + x / hFactor];
        }
    }
}
