using StbImageWriteSharp;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Picture files: PNG of any bit depth through our <see cref="PngDecoder"/> (16-bit samples kept),
/// JPEG through <see cref="JpegDecoder"/> and BMP through <see cref="BmpDecoder"/>, each of which
/// refuses truncated and corrupt files; 8-bit PNG writing through StbImageWriteSharp and 16-bit
/// gray PNG writing of our own.
/// </summary>
public static class PixelFile
{
    public static RasterImage Read(string path) => Decode(InputFile.ReadAllBytes(path), path);

    /// <summary>Decodes a whole picture file's bytes; <paramref name="source"/> names it in errors.</summary>
    public static RasterImage Decode(byte[] bytes, string source)
    {
        // The content decides, so a JPEG saved under a .png name still loads.
        if (PngDecoder.HasSignature(bytes)) return PngDecoder.Decode(bytes, source).ToRaster(source);
        if (JpegDecoder.HasSignature(bytes)) return JpegDecoder.Decode(bytes, source);
        if (BmpDecoder.HasSignature(bytes)) return BmpDecoder.Decode(bytes, source);
        throw new InvalidDataException(Path.GetExtension(source).Equals(".png", StringComparison.OrdinalIgnoreCase)
            ? $"{source}: not a PNG file (bad signature)"
            : $"{source}: not a readable image (supported: PNG, JPEG, BMP, .npy)");
    }

    /// <summary>Writes an 8-bit gray (channels = 1) or RGB (3) PNG atomically.</summary>
    public static void WritePng(string path, int height, int width, int channels, byte[] pixels)
    {
        var components = Components(height, width, channels, pixels);
        AtomicFile.Write(path, stream => new ImageWriter().WritePng(pixels, width, height, components, stream));
    }

    /// <summary>The bytes of an 8-bit gray (channels = 1), RGB (3) or RGBA (4) PNG, e.g. to send in a request.</summary>
    public static byte[] EncodePng(int height, int width, int channels, byte[] pixels)
    {
        var components = Components(height, width, channels, pixels);
        using var buffer = new MemoryStream();
        new ImageWriter().WritePng(pixels, width, height, components, buffer);
        return buffer.ToArray();
    }

    static StbImageWriteSharp.ColorComponents Components(int height, int width, int channels, byte[] pixels)
    {
        if (height <= 0 || width <= 0 || pixels.LongLength != (long)height * width * channels)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {height}×{width}×{channels} image");
        return channels switch
        {
            1 => StbImageWriteSharp.ColorComponents.Grey,
            3 => StbImageWriteSharp.ColorComponents.RedGreenBlue,
            4 => StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha,
            _ => throw new ArgumentException($"PNG needs 1, 3 or 4 channels, got {channels}"),
        };
    }

    /// <summary>Writes a 16-bit grayscale PNG atomically (e.g. a label map with more than 255 labels).</summary>
    public static void WriteGray16Png(string path, int height, int width, ushort[] pixels)
    {
        if (height <= 0 || width <= 0 || pixels.LongLength != (long)height * width)
            throw new ArgumentException($"{pixels.Length} values do not fill a {height}×{width} image");
        AtomicFile.Write(path, stream => PngWriter.WriteGray16(stream, height, width, pixels));
    }
}
