using System.Buffers.Binary;
using System.IO.Compression;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Forward-only stream over zlib data (RFC 1950: a 2-byte header, deflate data, the Adler-32 of
/// the uncompressed bytes) that runs to the end of the file, as MetaImage's compressed data does.
/// .NET's ZLibStream accepts a stream whose Adler-32 trailer is missing or whose deflate data is
/// cut off, and reports a wrong trailer as "unsupported compression method"; here the header is
/// checked, and when the deflate data ends the file's last four bytes must be the Adler-32 of
/// everything read, so truncation and corruption raise <see cref="InvalidDataException"/>
/// naming the file. It does not own the file stream.
/// </summary>
internal sealed class CheckedZlibStream : ForwardReadStream
{
    readonly FileStream file;
    readonly string source;
    readonly DeflateStream deflate;
    uint a = 1, b;           // Adler-32 sums (RFC 1950 §9)
    bool done;

    /// <summary>Reads the zlib data from <paramref name="file"/>'s current position to its end.</summary>
    public CheckedZlibStream(FileStream file, string source)
    {
        this.file = file;
        this.source = source;
        Span<byte> header = stackalloc byte[2];
        if (file.ReadAtLeast(header, 2, throwOnEndOfStream: false) < 2) throw Bad("truncated zlib data (no header)");
        // CMF: method 8 (deflate) with a window of at most 32 KiB; FLG: no preset dictionary, and
        // CMF·256 + FLG a multiple of 31 (RFC 1950 §2.2).
        if ((header[0] & 0x0f) != 8 || header[0] >> 4 > 7 || (header[0] * 256 + header[1]) % 31 != 0)
            throw Bad($"not zlib data (header bytes 0x{header[0]:x2} 0x{header[1]:x2})");
        if ((header[1] & 0x20) != 0) throw Bad("zlib data with a preset dictionary is not supported");
        deflate = new DeflateStream(file, CompressionMode.Decompress, leaveOpen: true);
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || done) return 0;
        int n;
        try { n = deflate.Read(buffer); }
        catch (InvalidDataException e) { throw Bad($"corrupt zlib data ({e.Message})"); }
        if (n > 0)
        {
            Update(buffer[..n]);
            return n;
        }
        done = true;
        CheckTrailer();
        return 0;
    }

    void Update(ReadOnlySpan<byte> data)
    {
        const uint Mod = 65521;
        // 5552 bytes is the most that can be summed before b could overflow 32 bits (zlib's NMAX).
        while (!data.IsEmpty)
        {
            var block = data[..Math.Min(data.Length, 5552)];
            foreach (byte x in block)
            {
                a += x;
                b += a;
            }
            a %= Mod;
            b %= Mod;
            data = data[block.Length..];
        }
    }

    /// <summary>The deflate data has ended: the file must end in the Adler-32 of what it gave.</summary>
    void CheckTrailer()
    {
        Span<byte> trailer = stackalloc byte[4];
        if (file.Length < 6) throw Bad("truncated zlib data");
        file.Position = file.Length - 4;
        file.ReadExactly(trailer);
        if (BinaryPrimitives.ReadUInt32BigEndian(trailer) != (b << 16 | a))
            throw Bad("truncated or corrupted zlib data: the file does not end in the Adler-32 checksum of the decompressed data");
    }

    InvalidDataException Bad(string problem) => new($"{source}: {problem}");

    protected override void Dispose(bool disposing)
    {
        if (disposing) deflate.Dispose();
        base.Dispose(disposing);
    }
}
