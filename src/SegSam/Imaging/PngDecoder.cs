using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Decodes PNG files of every standard kind: bit depths 1–16, gray, gray + alpha, RGB, RGBA and
/// palette, Adam7-interlaced or not, checking each chunk's CRC. Unlike StbImageSharp it keeps
/// 16-bit samples. Ancillary chunks (tRNS, gAMA, text…) are skipped.
/// </summary>
public static class PngDecoder
{
    static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Adam7 passes: first column, first row, column step, row step.
    static readonly (int X, int Y, int DX, int DY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    public static PngImage Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return Decode(InputFile.ReadAllBytes(path), path);
    }

    /// <summary>Decodes a whole PNG file's bytes; <paramref name="source"/> names it in errors.</summary>
    public static PngImage Decode(byte[] bytes, string source)
    {
        if (!HasSignature(bytes)) throw new InvalidDataException($"{source}: not a PNG file (bad signature)");
        Header? header = null;
        byte[]? palette = null;
        var compressed = new MemoryStream();
        int at = Signature.Length;
        while (true)
        {
            if (bytes.Length - at < 8) throw new InvalidDataException($"{source}: truncated PNG (ends before the IEND chunk)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
            string type = Encoding.ASCII.GetString(bytes, at + 4, 4);
            if (length > int.MaxValue || bytes.Length - at - 12 < length)
                throw new InvalidDataException($"{source}: truncated PNG (chunk {type} of {length} bytes runs past the end of the file)");
            var typeAndData = bytes.AsSpan(at + 4, 4 + (int)length);
            var data = typeAndData[4..];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 8 + (int)length));
            if (System.IO.Hashing.Crc32.HashToUInt32(typeAndData) != crc) throw new InvalidDataException($"{source}: bad CRC in PNG chunk {type}");
            at += 12 + (int)length;

            if (header is null && type != "IHDR") throw new InvalidDataException($"{source}: PNG does not start with an IHDR chunk");
            switch (type)
            {
                case "IHDR":
                    header = ParseHeader(data, source);
                    break;
                case "PLTE":
                    if (length % 3 != 0 || length > 768) throw new InvalidDataException($"{source}: bad PNG palette of {length} bytes");
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
                case "IEND":
                    // Whatever follows IEND is no part of the image: another file glued on, or damage.
                    if (at != bytes.Length)
                        throw new InvalidDataException($"{source}: {bytes.Length - at:N0} bytes of trailing data after the PNG's IEND chunk");
                    return Decode(header!, palette, compressed, source);
                default:
                    // Upper case first letter: a critical chunk we would misdecode the image without.
                    if (char.IsAsciiLetterUpper(type[0]))
                        throw new InvalidDataException($"{source}: unknown critical PNG chunk '{type}'");
                    break;
            }
        }
    }

    sealed record Header(int Width, int Height, int BitDepth, int ColourType, bool Interlaced)
    {
        public int Channels => ColourType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        public int BitsPerPixel => Channels * BitDepth;
        /// <summary>Filter byte distance: the bytes of one pixel, at least one.</summary>
        public int FilterStride => Math.Max(1, BitsPerPixel / 8);
        public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;
    }

    static Header ParseHeader(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length != 13) throw new InvalidDataException($"{source}: bad PNG IHDR of {data.Length} bytes");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int depth = data[8], colour = data[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw new InvalidDataException($"{source}: bad PNG size {width}×{height}");
        bool valid = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!valid) throw new InvalidDataException($"{source}: bad PNG colour type {colour} with bit depth {depth}");
        if (data[10] != 0 || data[11] != 0) throw new InvalidDataException($"{source}: unknown PNG compression or filter method");
        if (data[12] > 1) throw new InvalidDataException($"{source}: unknown PNG interlace method {data[12]}");
        var header = new Header((int)width, (int)height, depth, colour, data[12] == 1);
        if ((long)header.Width * header.Height * header.Channels > Array.MaxLength)
            throw new InvalidDataException($"{source}: PNG of {width}×{height} is too large to load");
        return header;
    }

    static PngImage Decode(Header h, byte[]? palette, MemoryStream compressed, string source)
    {
        if (h.ColourType == 3 && palette is null) throw new InvalidDataException($"{source}: palette PNG without a PLTE chunk");
        var passes = h.Interlaced ? Adam7 : [(0, 0, 1, 1)];
        long rawSize = 0;
        foreach (var p in passes)
        {
            var (w, ht) = PassSize(h, p);
            if (w > 0 && ht > 0) rawSize += ht * (1 + h.RowBytes(w));
        }
        if (rawSize > Array.MaxLength) throw new InvalidDataException($"{source}: PNG of {h.Width}×{h.Height} is too large to load");
        if (rawSize > DeflateLimit.MaxInflated(compressed.Length))
            throw new InvalidDataException($"{source}: truncated PNG: {compressed.Length} bytes of image data cannot hold a {h.Width}×{h.Height} image");
        var raw = Inflate(compressed, (int)rawSize, source);

        var output = new float[(long)h.Width * h.Height * h.Channels];
        int offset = 0;
        foreach (var p in passes)
        {
            var (w, ht) = PassSize(h, p);
            if (w == 0 || ht == 0) continue;
            int rowBytes = (int)h.RowBytes(w);
            var previous = new byte[rowBytes];
            var row = new byte[rowBytes];
            for (int y = 0; y < ht; y++)
            {
                int filter = raw[offset];
                Array.Copy(raw, offset + 1, row, 0, rowBytes);
                offset += 1 + rowBytes;
                Unfilter(filter, row, previous, h.FilterStride, source);
                StoreRow(h, row, w, output, p.Y + y * p.DY, p.X, p.DX);
                (previous, row) = (row, previous);
            }
        }
        return new PngImage(h.Height, h.Width, h.Channels, h.BitDepth, output, h.ColourType == 3 ? palette : null);
    }

    static (int Width, int Height) PassSize(Header h, (int X, int Y, int DX, int DY) p) =>
        ((h.Width - p.X + p.DX - 1) / p.DX, (h.Height - p.Y + p.DY - 1) / p.DY);

    static byte[] Inflate(MemoryStream compressed, int size, string source)
    {
        if (compressed.Length == 0) throw new InvalidDataException($"{source}: PNG has no IDAT image data");
        compressed.Position = 0;
        var raw = new byte[size];
        int total = 0, beyond;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            while (total < size)
            {
                int n = zlib.Read(raw, total, size - total);
                if (n == 0) break;
                total += n;
            }
            beyond = total < size ? 0 : zlib.Read(new byte[1]);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: bad zlib data in PNG IDAT: {e.Message}", e);
        }
        if (total < size)
            throw new InvalidDataException($"{source}: truncated PNG image data ({total} of {size} bytes after decompression)");
        if (beyond > 0)
            throw new InvalidDataException($"{source}: bad zlib data in PNG IDAT: more than the image's {size} bytes");
        // .NET's inflater says nothing when the zlib trailer is missing or other bytes follow it:
        // the IDAT data must end with the Adler-32 of exactly the image's bytes.
        var data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        if (data.Length < 6 || BinaryPrimitives.ReadUInt32BigEndian(data[^4..]) != Adler32(raw))
            throw new InvalidDataException($"{source}: bad zlib data in PNG IDAT: it does not end with the Adler-32 checksum of the image data");
        return raw;
    }

    /// <summary>The zlib (RFC 1950) checksum.</summary>
    static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        const int Run = 5552; // the most bytes before b can overflow 32 bits
        uint a = 1, b = 0;
        while (!data.IsEmpty)
        {
            var run = data[..Math.Min(Run, data.Length)];
            foreach (byte v in run)
            {
                a += v;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            data = data[run.Length..];
        }
        return (b << 16) | a;
    }

    /// <summary>Reverses one row's filter in place (PNG filter method 0: None, Sub, Up, Average, Paeth).</summary>
    static void Unfilter(int filter, byte[] row, byte[] previous, int stride, string source)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = stride; i < row.Length; i++) row[i] += row[i - stride];
                break;
            case 2:
                for (int i = 0; i < row.Length; i++) row[i] += previous[i];
                break;
            case 3:
                for (int i = 0; i < row.Length; i++)
                    row[i] += (byte)(((i >= stride ? row[i - stride] : 0) + previous[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= stride ? row[i - stride] : 0, b = previous[i], c = i >= stride ? previous[i - stride] : 0;
                    row[i] += (byte)Paeth(a, b, c);
                }
                break;
            default:
                throw new InvalidDataException($"{source}: bad PNG filter type {filter}");
        }
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Unpacks one row of samples into the image at row y, columns x0, x0 + dx, ….</summary>
    static void StoreRow(Header h, byte[] row, int width, float[] output, int y, int x0, int dx)
    {
        int channels = h.Channels;
        int depth = h.BitDepth;
        // Low-depth gray is scaled to 0–255 (×255, ×85, ×17); palette indices stay indices.
        int scale = h.ColourType == 0 && depth < 8 ? 255 / ((1 << depth) - 1) : 1;
        for (int x = 0; x < width; x++)
        {
            long target = ((long)y * h.Width + x0 + (long)x * dx) * channels;
            for (int c = 0; c < channels; c++)
            {
                int s = x * channels + c;
                int value = depth switch
                {
                    16 => (row[2 * s] << 8) | row[2 * s + 1],
                    8 => row[s],
                    _ => (row[s * depth / 8] >> (8 - depth - s * depth % 8)) & ((1 << depth) - 1),
                };
                output[target + c] = value * scale;
            }
        }
    }
}
