using StbImageSharp;
using StbImageWriteSharp;

namespace SegSam.Imaging;

/// <summary>
/// Picture files: PNG of any bit depth through our <see cref="PngDecoder"/> (16-bit samples kept),
/// JPEG/BMP through StbImageSharp; 8-bit PNG writing through StbImageWriteSharp and 16-bit gray
/// PNG writing of our own.
/// </summary>
public static class PixelFile
{
    public static RasterImage Read(string path)
    {
        byte[] bytes = InputFile.ReadAllBytes(path);
        if (PngDecoder.HasSignature(bytes)) return PngDecoder.Decode(bytes, path).ToRaster(path);
        if (bytes is [0xFF, 0xD8, ..] && JpegHeaderProblem(bytes) is { } problem)
            throw new InvalidDataException($"{path}: truncated or corrupt JPEG ({problem})");
        // The content decides, so a JPEG saved under a .png name still loads.
        ImageInfo? info = ImageInfo.FromStream(new MemoryStream(bytes));
        if (info is null)
            throw new InvalidDataException(Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase)
                ? $"{path}: not a PNG file (bad signature)"
                : $"{path}: not a readable image (supported: PNG, JPEG, BMP, .npy)");
        bool gray = info.Value.ColorComponents is StbImageSharp.ColorComponents.Grey or StbImageSharp.ColorComponents.GreyAlpha;
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, gray ? StbImageSharp.ColorComponents.Grey : StbImageSharp.ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot decode image: {e.Message}", e);
        }
        return RasterImage.FromBytes(image.Height, image.Width, gray ? 1 : 3, image.Data);
    }

    /// <summary>
    /// What is wrong with a JPEG's header, or null: walks the marker segments from SOI to the
    /// frame header (SOF), skipping bytes between segments as StbImageSharp does, and checks that
    /// each segment, the SOF's included, lies within the file. StbImageSharp loops forever on a
    /// segment that runs past the end of the data (e.g. a file cut in its APP0 header), so such a
    /// file must not reach it.
    /// </summary>
    static string? JpegHeaderProblem(byte[] b)
    {
        int n = b.Length, i = 2;
        while (true)
        {
            while (i < n && b[i] != 0xFF) i++;
            while (i < n && b[i] == 0xFF) i++;
            if (i >= n) return "no frame header (SOF)";
            int marker = b[i++];
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) continue; // markers without a segment
            if (marker is 0xD9 or 0xDA) return "image data before the frame header (SOF)";
            if (i + 2 > n) return $"cut in the segment of marker 0x{marker:X2}";
            int length = (b[i] << 8) | b[i + 1];
            if (length < 2 || i + length > n) return $"the segment of marker 0x{marker:X2} runs past the end of the file";
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC)) return null; // SOF0…SOF15
            i += length;
        }
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
