using StbImageWriteSharp;

namespace SegSam.Imaging;

/// <summary>An 8-bit RGB picture, row-major Height×Width×3.</summary>
public sealed class RgbImage
{
    public RgbImage(int height, int width, byte[] pixels)
    {
        if (height <= 0 || width <= 0 || pixels.LongLength != 3L * height * width)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {height}×{width} RGB image");
        Height = height;
        Width = width;
        Pixels = pixels;
    }

    public int Height { get; }
    public int Width { get; }
    public byte[] Pixels { get; }

    public Rgb this[int y, int x]
    {
        get
        {
            int i = 3 * (y * Width + x);
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set
        {
            int i = 3 * (y * Width + x);
            Pixels[i] = value.R;
            Pixels[i + 1] = value.G;
            Pixels[i + 2] = value.B;
        }
    }

    /// <summary>The picture as PNG file bytes.</summary>
    public byte[] ToPng()
    {
        using var stream = new MemoryStream();
        new ImageWriter().WritePng(Pixels, Width, Height, ColorComponents.RedGreenBlue, stream);
        return stream.ToArray();
    }
}
