namespace SegSam.Imaging;

/// <summary>
/// Pillow's 8-bit BILINEAR resize (<c>Image.resize(size, BILINEAR)</c> over the whole image, no
/// reducing_gap), reproduced to the byte. The reference SAM resizes its uint8 input with exactly
/// this call (torchvision's <c>resize</c> of a PIL image), so <c>SetImage</c> on a raw image sees
/// the pixels the reference sees; a float approximation moved mask logits by ~1e-2 relative.
/// </summary>
/// <remarks>
/// Written from the algorithm of Pillow 9.4's src/libImaging/Resample.c (not its code): a
/// separable triangle filter whose support widens with the scale when downscaling (antialiasing),
/// taps normalised to sum 1 and rounded to fixed point; a horizontal pass over only the rows the
/// vertical pass reads, then a vertical pass; each sum starts at one half and is clipped to 0–255.
/// A side that keeps its length skips its pass, as Pillow's does.
/// </remarks>
public static class PillowBilinearResize
{
    // Pillow src/libImaging/Resample.c: PRECISION_BITS = 32 - 8 - 2 (8 bits of result, 2 bits of
    // headroom for filters with negative lobes, in a 32-bit int).
    const int PrecisionBits = 32 - 8 - 2;

    // Pillow src/libImaging/Resample.c: BILINEAR = {bilinear_filter, 1.0}, the triangle 1 − |x| on (−1, 1).
    const double Support = 1.0;

    /// <summary>Resizes a byte image (H×W×C, channels last) to <paramref name="outHeight"/>×<paramref name="outWidth"/>.</summary>
    public static byte[] Resize(ReadOnlySpan<byte> pixels, int height, int width, int channels, int outHeight, int outWidth)
    {
        if (height <= 0 || width <= 0 || outHeight <= 0 || outWidth <= 0 || channels <= 0)
            throw new ArgumentException($"cannot resize {height}×{width}×{channels} to {outHeight}×{outWidth}");
        if (pixels.Length != (long)height * width * channels)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {height}×{width}×{channels} image");

        var vertical = Taps.For(height, outHeight);
        // Rows of the source the vertical pass reads (Pillow's ybox_first / ybox_last).
        int firstRow = vertical.First[0];
        int lastRow = vertical.First[outHeight - 1] + vertical.Count[outHeight - 1];

        byte[] rows;
        int rowOffset;
        int rowWidth;
        if (outWidth != width)
        {
            rows = Horizontal(pixels, width, channels, firstRow, lastRow, Taps.For(width, outWidth));
            rowOffset = firstRow;
            rowWidth = outWidth;
        }
        else
        {
            rows = pixels.ToArray();
            rowOffset = 0;
            rowWidth = width;
        }
        return outHeight != height ? Vertical(rows, rowOffset, rowWidth, channels, vertical) : rows;
    }

    /// <summary>Resizes a whole-byte image (<see cref="RasterImage.IsUInt8"/>), keeping its channels.</summary>
    public static RasterImage Resize(RasterImage image, int outHeight, int outWidth)
    {
        if (!image.IsUInt8) throw new ArgumentException("Pillow's 8-bit resize needs a uint8 image");
        var bytes = new byte[image.Data.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            float v = image.Data[i];
            if (v is < 0 or > 255 || v != MathF.Floor(v))
                throw new ArgumentException($"a uint8 image holds {v} at index {i}, not a whole byte");
            bytes[i] = (byte)v;
        }
        var resized = Resize(bytes, image.Height, image.Width, image.Channels, outHeight, outWidth);
        return RasterImage.FromBytes(outHeight, outWidth, image.Channels, resized);
    }

    static byte[] Horizontal(ReadOnlySpan<byte> src, int width, int channels, int firstRow, int lastRow, Taps taps)
    {
        int outWidth = taps.First.Length;
        var dst = new byte[(lastRow - firstRow) * outWidth * channels];
        for (int y = firstRow; y < lastRow; y++)
        {
            var row = src.Slice(y * width * channels, width * channels);
            int o = (y - firstRow) * outWidth * channels;
            for (int x = 0; x < outWidth; x++)
            {
                var k = taps.Of(x);
                int start = taps.First[x] * channels;
                for (int c = 0; c < channels; c++)
                {
                    int sum = Half;
                    for (int i = 0; i < k.Length; i++) sum += row[start + i * channels + c] * k[i];
                    dst[o++] = Clip8(sum);
                }
            }
        }
        return dst;
    }

    static byte[] Vertical(byte[] src, int rowOffset, int width, int channels, Taps taps)
    {
        int outHeight = taps.First.Length;
        int stride = width * channels;
        var dst = new byte[outHeight * stride];
        for (int y = 0; y < outHeight; y++)
        {
            var k = taps.Of(y);
            int start = (taps.First[y] - rowOffset) * stride;
            int o = y * stride;
            for (int x = 0; x < stride; x++)
            {
                int sum = Half;
                for (int i = 0; i < k.Length; i++) sum += src[start + i * stride + x] * k[i];
                dst[o + x] = Clip8(sum);
            }
        }
        return dst;
    }

    // Each sum starts at one half of the fixed-point unit so that the shift rounds to nearest.
    const int Half = 1 << (PrecisionBits - 1);

    static byte Clip8(int sum)
    {
        int v = sum >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>Per output index: the first source index, the tap count and the fixed-point taps.</summary>
    sealed class Taps
    {
        public required int[] First { get; init; }
        public required int[] Count { get; init; }
        public required int[] Weights { get; init; }
        public required int Stride { get; init; }

        public ReadOnlySpan<int> Of(int index) => Weights.AsSpan(index * Stride, Count[index]);

        /// <summary>Pillow's precompute_coeffs and normalize_coeffs_8bpc for the box [0, inSize).</summary>
        public static Taps For(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = Support * filterScale;
            int stride = (int)Math.Ceiling(support) * 2 + 1;
            var first = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * stride];
            var w = new double[stride];
            for (int o = 0; o < outSize; o++)
            {
                double center = (o + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                // C's (int) truncates toward zero; + 0.5 rounds the bounds as Pillow does.
                int min = Math.Max((int)(center - support + 0.5), 0);
                int n = Math.Min((int)(center + support + 0.5), inSize) - min;
                double total = 0;
                for (int i = 0; i < n; i++)
                {
                    w[i] = Triangle((i + min - center + 0.5) * inverse);
                    total += w[i];
                }
                for (int i = 0; i < n; i++)
                {
                    double t = total != 0 ? w[i] / total : w[i];
                    double scaled = t * (1 << PrecisionBits);
                    weights[o * stride + i] = (int)(t < 0 ? scaled - 0.5 : scaled + 0.5);
                }
                first[o] = min;
                count[o] = n;
            }
            return new Taps { First = first, Count = count, Weights = weights, Stride = stride };
        }

        static double Triangle(double x)
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }
}
