using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SegSam.Imaging;

/// <summary>
/// Writes 16-bit grayscale PNGs (label maps with more than 255 labels, 16-bit intensities),
/// which StbImageWriteSharp cannot: IHDR, one zlib-compressed IDAT of unfiltered rows, IEND.
/// </summary>
internal static class PngWriter
{
    public static void WriteGray16(Stream stream, int height, int width, ReadOnlySpan<ushort> pixels)
    {
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        // Bit depth 16; the zero bytes after it say gray, deflate, filter method 0, no interlace.
        ihdr[8] = 16;
        WriteChunk(stream, "IHDR", ihdr);

        var rows = new MemoryStream();
        using (var zlib = new ZLibStream(rows, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + 2 * width];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                    BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(1 + 2 * x), pixels[y * width + x]);
                zlib.Write(row);
            }
        }
        WriteChunk(stream, "IDAT", rows.ToArray());
        WriteChunk(stream, "IEND", []);
    }

    static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, System.IO.Hashing.Crc32.HashToUInt32(typeAndData));
        stream.Write(word);
    }
}
