namespace SegSam.Imaging;

/// <summary>
/// A decoded PNG as its samples say: H×W×<see cref="Channels"/> values, row-major with channels
/// last, 16-bit samples kept exact (0–65535), 1/2/4-bit gray scaled to 0–255 as viewers show it.
/// A palette image holds its indices (one channel, as NumPy sees a PIL "P" image) and
/// <see cref="Palette"/> the RGB entries.
/// </summary>
public sealed class PngImage
{
    public int Height { get; }
    public int Width { get; }
    /// <summary>1 gray (or palette index), 2 gray + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }
    public int BitDepth { get; }
    public float[] Data { get; }
    /// <summary>RGB triples of a palette image, null for the others.</summary>
    public byte[]? Palette { get; }
    /// <summary>The samples are whole bytes (bit depth ≤ 8), as for an 8-bit <see cref="RasterImage"/>.</summary>
    public bool IsUInt8 => BitDepth <= 8;

    internal PngImage(int height, int width, int channels, int bitDepth, float[] data, byte[]? palette)
    {
        Height = height;
        Width = width;
        Channels = channels;
        BitDepth = bitDepth;
        Data = data;
        Palette = palette;
    }

    /// <summary>
    /// As <see cref="RasterImage"/> takes it: gray or RGB with any alpha dropped and a palette
    /// looked up to RGB.
    /// </summary>
    public RasterImage ToRaster(string source)
    {
        long pixels = (long)Height * Width;
        if (Palette is { } palette)
        {
            var rgb = new float[pixels * 3];
            for (long i = 0; i < pixels; i++)
            {
                int index = (int)Data[i];
                if (index * 3 >= palette.Length)
                    throw new InvalidDataException($"{source}: palette index {index} beyond the {palette.Length / 3}-entry palette");
                for (int c = 0; c < 3; c++) rgb[i * 3 + c] = palette[index * 3 + c];
            }
            return new RasterImage(Height, Width, 3, rgb, isUInt8: true);
        }
        if (Channels is 1 or 3) return new RasterImage(Height, Width, Channels, Data, IsUInt8);
        int kept = Channels - 1;
        var colour = new float[pixels * kept];
        for (long i = 0; i < pixels; i++)
            for (int c = 0; c < kept; c++) colour[i * kept + c] = Data[i * Channels + c];
        return new RasterImage(Height, Width, kept, colour, IsUInt8);
    }
}
