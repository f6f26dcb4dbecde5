using System.Buffers.Binary;
using StbImageSharp;

namespace SegSam.Imaging;

/// <summary>
/// Reads uncompressed BMPs — BI_RGB with 1/4/8-bit palettes or 16/24/32-bit pixels, BI_BITFIELDS
/// with 16/32-bit pixels, bottom-up or top-down — to gray or RGB. The headers are checked here:
/// their declared sizes, the palette and the pixel array's extent against the file's length.
/// StbImageSharp then decodes the pixels; it fills whatever lies past the end of the data with
/// zeros, so a truncated file must not reach it. A palette BMP whose pixels are all gray comes
/// back as one gray channel, as PIL reads the gray BMPs it writes. RLE-compressed BMPs are refused.
/// </summary>
public static class BmpDecoder
{
    const int FileHeaderSize = 14;

    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes is [(byte)'B', (byte)'M', ..];

    /// <summary>Decodes a whole BMP file's bytes; <paramref name="source"/> names it in errors.</summary>
    public static RasterImage Decode(byte[] bytes, string source)
    {
        int bitsPerPixel = CheckLayout(bytes, source);
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: corrupt BMP: {e.Message}", e);
        }
        var rgb = image.Data;
        if (bitsPerPixel <= 8 && AllGray(rgb))
        {
            var gray = new byte[rgb.Length / 3];
            for (int i = 0; i < gray.Length; i++) gray[i] = rgb[3 * i];
            return RasterImage.FromBytes(image.Height, image.Width, 1, gray);
        }
        return RasterImage.FromBytes(image.Height, image.Width, 3, rgb);
    }

    static bool AllGray(byte[] rgb)
    {
        for (int i = 0; i < rgb.Length; i += 3)
            if (rgb[i] != rgb[i + 1] || rgb[i] != rgb[i + 2]) return false;
        return true;
    }

    /// <summary>
    /// Checks the file and info headers, the bit masks, the palette and the pixel array against
    /// the file's length and against each other, and returns the bits per pixel.
    /// </summary>
    static int CheckLayout(byte[] b, string source)
    {
        if (b.Length < FileHeaderSize + 4)
            throw new InvalidDataException($"{source}: truncated BMP: {b.Length:N0} bytes end inside its file header");
        long pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(10));
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(FileHeaderSize));
        // BITMAPCOREHEADER, BITMAPINFOHEADER and its V2, V4 and V5 forms: what StbImageSharp reads.
        if (headerSize is not (12 or 40 or 56 or 108 or 124))
            throw new InvalidDataException($"{source}: corrupt or unsupported BMP: unknown info header size {headerSize}");
        if (FileHeaderSize + headerSize > b.Length)
            throw new InvalidDataException($"{source}: truncated BMP: {b.Length:N0} bytes end inside its {headerSize}-byte info header");

        var h = b.AsSpan(FileHeaderSize + 4);
        bool core = headerSize == 12;
        long width = core ? BinaryPrimitives.ReadUInt16LittleEndian(h) : BinaryPrimitives.ReadInt32LittleEndian(h);
        long height = core ? BinaryPrimitives.ReadUInt16LittleEndian(h[2..]) : BinaryPrimitives.ReadInt32LittleEndian(h[4..]);
        var rest = core ? h[4..] : h[8..];
        int planes = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(rest[2..]);
        uint compression = core ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
        uint coloursUsed = core ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(rest[20..]);

        if (width <= 0 || height == 0) throw new InvalidDataException($"{source}: corrupt BMP: size {width}×{height}");
        if (planes != 1) throw new InvalidDataException($"{source}: corrupt BMP: {planes} colour planes (must be 1)");
        if (compression is 1 or 2) throw new InvalidDataException($"{source}: unsupported BMP: RLE compression (save it uncompressed)");
        bool validBits = compression switch
        {
            0 => bits is 1 or 4 or 8 or 24 || (!core && bits is 16 or 32),
            3 => bits is 16 or 32,
            _ => false,
        };
        if (!validBits) throw new InvalidDataException($"{source}: corrupt or unsupported BMP: {bits}-bit pixels with compression {compression}");

        // BITMAPINFOHEADER keeps BI_BITFIELDS' three masks after itself; the later headers inside.
        long masksEnd = FileHeaderSize + headerSize + (headerSize == 40 && compression == 3 ? 12 : 0);
        if (masksEnd > b.Length) throw new InvalidDataException($"{source}: truncated BMP: {b.Length:N0} bytes end inside its bit masks");
        long paletteEnd = masksEnd;
        if (bits <= 8)
        {
            long colours = coloursUsed == 0 ? 1L << bits : coloursUsed;
            if (colours > 1L << bits) throw new InvalidDataException($"{source}: corrupt BMP: {colours} palette colours for {bits}-bit pixels");
            paletteEnd += colours * (core ? 3 : 4);
        }
        if (pixelOffset < paletteEnd)
            throw new InvalidDataException($"{source}: corrupt BMP: the pixel data at offset {pixelOffset} overlaps the headers and palette, which end at {paletteEnd}");

        long rowBytes = (width * bits + 31) / 32 * 4;
        long needed = pixelOffset + rowBytes * Math.Abs(height);
        if (needed > b.Length) throw new InvalidDataException($"{source}: truncated BMP: {b.Length:N0} of {needed:N0} bytes");
        return bits;
    }
}
