using System.Buffers.Binary;
using System.IO.Compression;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Forward-only stream over the decompressed bytes of a gzip file (every member, RFC 1952) that
/// checks each member's CRC-32 and length trailer. .NET's GZipStream simply ends early on a
/// truncated file, which would turn a cut-off .nii.gz into silently short or wrong data; here
/// truncation and corruption raise <see cref="InvalidDataException"/> naming the file.
/// It owns the file stream and closes it when disposed.
/// </summary>
internal sealed class CheckedGzipStream : ForwardReadStream
{
    readonly FileStream file;
    readonly string source;
    long memberStart;          // offset of the next member's header, or of the current member's deflate data
    ChunkLog? log;
    DeflateStream? deflate;
    readonly System.IO.Hashing.Crc32 crc = new();
    long memberLength;
    int members;
    bool done;

    /// <summary>Reads the gzip data that starts at <paramref name="file"/>'s current position.</summary>
    public CheckedGzipStream(FileStream file, string source)
    {
        this.file = file;
        this.source = source;
        memberStart = file.Position;
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (!done)
        {
            if (deflate is null && !BeginMember()) { done = true; break; }
            int n;
            try { n = deflate!.Read(buffer); }
            catch (InvalidDataException e) { throw Bad($"corrupted gzip data ({e.Message})"); }
            if (n > 0)
            {
                crc.Append(buffer[..n]);
                memberLength += n;
                return n;
            }
            EndMember();
        }
        return 0;
    }

    /// <summary>Parses a member header at <see cref="memberStart"/>; false at the end of the file (zero padding allowed).</summary>
    bool BeginMember()
    {
        file.Position = memberStart;
        int first = file.ReadByte();
        if (first < 0) return false;
        bool firstMember = members == 0;
        if (first == 0 && !firstMember)
            return RestIsZero() ? false : throw Bad($"unexpected bytes at offset {memberStart} after the gzip data");
        var fixedPart = new byte[10];
        fixedPart[0] = (byte)first;
        if (file.ReadAtLeast(fixedPart.AsSpan(1), 9, throwOnEndOfStream: false) < 9) throw Truncated();
        if (fixedPart[0] != 0x1f || fixedPart[1] != 0x8b)
            throw Bad(firstMember ? $"not gzip data (bytes 0x{fixedPart[0]:x2} 0x{fixedPart[1]:x2} at offset {memberStart})"
                : $"unexpected bytes at offset {memberStart} after the gzip data");
        members++;
        if (fixedPart[2] != 8) throw Bad($"unsupported gzip compression method {fixedPart[2]}");
        byte flags = fixedPart[3];
        if ((flags & 4) != 0) // FEXTRA: a length-prefixed field
        {
            var len = new byte[2];
            if (file.ReadAtLeast(len, 2, throwOnEndOfStream: false) < 2) throw Truncated();
            Skip(BinaryPrimitives.ReadUInt16LittleEndian(len));
        }
        if ((flags & 8) != 0) SkipZeroTerminated();  // FNAME
        if ((flags & 16) != 0) SkipZeroTerminated(); // FCOMMENT
        if ((flags & 2) != 0) Skip(2);               // FHCRC
        memberStart = file.Position;
        log = new ChunkLog(file);
        deflate = new DeflateStream(log, CompressionMode.Decompress, leaveOpen: true);
        crc.Reset();
        memberLength = 0;
        return true;
    }

    /// <summary>
    /// Finds the 8-byte trailer (CRC-32, length mod 2³²) right after the deflate data. DeflateStream
    /// reads ahead, so the data's end lies somewhere in the last chunks it read; a match of both
    /// checksums there (a 2⁻⁶⁴ coincidence otherwise) marks the trailer and the next member's start.
    /// </summary>
    void EndMember()
    {
        deflate!.Dispose();
        deflate = null;
        uint checksum = crc.GetCurrentHashAsUInt32();
        long from = Math.Max(memberStart, log!.EarliestRecentStart);
        long to = Math.Min(file.Length, log.End + 8);
        var window = new byte[to - from];
        file.Position = from;
        file.ReadExactly(window);
        for (int p = 0; p + 8 <= window.Length; p++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(p)) == checksum
                && BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(p + 4)) == (uint)memberLength)
            {
                memberStart = from + p + 8;
                return;
            }
        }
        // Deflate asking for input past the end means the compressed data itself is cut off;
        // otherwise the trailer is missing or disagrees with the data.
        throw log.ReachedEnd ? Truncated() : Bad("truncated or corrupted gzip stream: no matching CRC-32/length trailer after the compressed data");
    }

    bool RestIsZero()
    {
        int b;
        while ((b = file.ReadByte()) == 0) { }
        return b < 0;
    }

    void Skip(int count)
    {
        if (file.Position + count > file.Length) throw Truncated();
        file.Position += count;
    }

    void SkipZeroTerminated()
    {
        int b;
        while ((b = file.ReadByte()) > 0) { }
        if (b < 0) throw Truncated();
    }

    InvalidDataException Truncated() => Bad("truncated gzip stream (the compressed data ends early)");

    InvalidDataException Bad(string problem) => new($"{source}: {problem}");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            deflate?.Dispose();
            file.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Passes file reads to DeflateStream and remembers where its last three reads began.</summary>
    sealed class ChunkLog(FileStream file) : ForwardReadStream
    {
        readonly long[] starts = [file.Position, file.Position, file.Position];
        public long End { get; private set; } = file.Position;
        public bool ReachedEnd { get; private set; }
        public long EarliestRecentStart => starts[0];

        public override int Read(Span<byte> buffer)
        {
            long start = file.Position;
            int n = file.Read(buffer);
            if (n == 0) { ReachedEnd = true; return 0; }
            starts[0] = starts[1];
            starts[1] = starts[2];
            starts[2] = start;
            End = start + n;
            return n;
        }
    }
}
