using System.Buffers.Binary;
using System.IO.Compression;
using SegSam.IO;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Parses a DICOM Part 10 file (PS3.10 §7; encoding rules of PS3.5 §7): optional 128-byte
/// preamble and "DICM", the file meta group in explicit VR little endian, then the dataset in
/// the transfer syntax the meta group names. Sequences and items of defined or undefined length
/// are parsed recursively; every length is checked against the bytes that remain.
/// </summary>
internal sealed class DicomReader
{
    const uint UndefinedLength = 0xFFFFFFFF;
    const int MaxDepth = 64;
    const long MaxInflatedBytes = 1L << 30;

    /// <summary>VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 Table 7.1-1).</summary>
    static readonly HashSet<string> LongVrs = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];

    readonly record struct Encoding(bool Explicit, bool BigEndian);
    static readonly Encoding ExplicitLittle = new(true, false);
    static readonly Encoding ImplicitLittle = new(false, false);

    readonly string path;
    readonly bool readPixels;
    readonly byte[] scratch = new byte[8];
    Stream stream;
    long length;
    string where = "";
    TransferSyntax syntax = TransferSyntax.ExplicitVrLittleEndian;

    DicomReader(string path, Stream stream, bool readPixels)
    {
        this.path = path;
        this.stream = stream;
        this.readPixels = readPixels;
        length = stream.Length;
    }

    public static DicomDataset ReadFile(string path, bool readPixels)
    {
        FileStream file;
        try
        {
            file = InputFile.OpenRead(path, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new DicomFormatException(path, $"cannot open the file: {e.Message}", e);
        }
        using (file)
        {
            try
            {
                return new DicomReader(path, file, readPixels).Read();
            }
            catch (IOException e)
            {
                throw new DicomFormatException(path, $"read error: {e.Message}", e);
            }
        }
    }

    DicomDataset Read()
    {
        var meta = ReadPreambleAndMeta();
        string? uid = meta.GetString(DicomTag.TransferSyntaxUid);
        syntax = uid is null ? DetectSyntax() : TransferSyntax.FromUid(uid);
        if (syntax.Deflated) Inflate();
        // Some writers declare explicit VR but write implicit VR; pydicom accepts those too.
        if (syntax.ExplicitVr && !syntax.BigEndian && !DetectSyntax().ExplicitVr) syntax = syntax with { ExplicitVr = false };

        var dataset = new DicomDataset(path, syntax, null);
        foreach (var e in meta.Elements) dataset.Add(e);
        ReadItemElements(dataset, new Encoding(syntax.ExplicitVr, syntax.BigEndian), length, untilDelimiter: false, depth: 0);

        if (readPixels && syntax.Encapsulated && !Codecs.PixelCodecs.CanDecode(syntax) && dataset.Contains(DicomTag.PixelData))
            throw new UnsupportedTransferSyntaxException(path, syntax);
        return dataset;
    }

    /// <summary>
    /// Skips the preamble and reads the meta group. Without "DICM" at byte 128 the file is still
    /// accepted when it starts with a group 0002 or 0008 element, as pydicom does with force=True.
    /// </summary>
    DicomDataset ReadPreambleAndMeta()
    {
        var meta = new DicomDataset(path, TransferSyntax.ExplicitVrLittleEndian, null);
        var head = new byte[132];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 132 && head.AsSpan(128, 4).SequenceEqual("DICM"u8))
            stream.Position = 132;
        else if (n >= 8 && LooksLikeDatasetStart(head.AsSpan(0, n)))
            stream.Position = 0;
        else
            throw new NotDicomException(path,
                $"not a DICOM file: no \"DICM\" marker at byte 128 and no DICOM element at its start ({length} bytes)");

        while (stream.Position + 4 <= length && PeekGroup() == 0x0002)
        {
            long start = stream.Position;
            meta.Add(ReadElement(meta, ReadTag(ExplicitLittle), start, ExplicitLittle, length, depth: 0));
        }
        return meta;
    }

    bool LooksLikeDatasetStart(ReadOnlySpan<byte> head)
    {
        ushort group = BinaryPrimitives.ReadUInt16LittleEndian(head);
        if (group == 0x0002) return IsVr(head[4], head[5]);
        if (group == 0x0008) return IsVr(head[4], head[5]) || BinaryPrimitives.ReadUInt32LittleEndian(head[4..]) <= length - 8;
        // Group 0008 written big endian; only explicit VR exists in that byte order.
        return group == 0x0800 && IsVr(head[4], head[5]);
    }

    /// <summary>Decides from the next element whether it carries a VR (used when the Transfer Syntax UID is missing or wrong).</summary>
    TransferSyntax DetectSyntax()
    {
        if (stream.Position + 6 > length) return TransferSyntax.ImplicitVrLittleEndian;
        long at = stream.Position;
        Span<byte> b = stackalloc byte[6];
        stream.ReadExactly(b);
        stream.Position = at;
        if (!IsVr(b[4], b[5])) return TransferSyntax.ImplicitVrLittleEndian;
        return BinaryPrimitives.ReadUInt16LittleEndian(b) == 0x0800 ? TransferSyntax.ExplicitVrBigEndian : TransferSyntax.ExplicitVrLittleEndian;
    }

    /// <summary>Deflated syntax: everything after the meta group is a raw deflate stream (PS3.5 §A.5).</summary>
    void Inflate()
    {
        var inflated = new MemoryStream();
        try
        {
            using var deflate = new DeflateStream(stream, CompressionMode.Decompress, leaveOpen: true);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = deflate.Read(buffer)) > 0)
            {
                // A deflate bomb must not fill memory: no real deflated dataset comes near this.
                if (inflated.Length + n > MaxInflatedBytes)
                    throw new DicomFormatException(path, $"the deflated dataset inflates to more than {MaxInflatedBytes >> 20} MiB");
                inflated.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException(path, $"the deflated dataset is corrupt: {e.Message}", e);
        }
        inflated.Position = 0;
        stream = inflated;
        length = inflated.Length;
        where = " of the inflated dataset";
    }

    /// <summary>Reads elements into <paramref name="dataset"/> up to <paramref name="end"/> or, for an undefined-length item, its delimiter.</summary>
    void ReadItemElements(DicomDataset dataset, Encoding enc, long end, bool untilDelimiter, int depth)
    {
        while (true)
        {
            long start = stream.Position;
            if (start >= end)
            {
                if (untilDelimiter)
                    throw Error($"an item of undefined length is not closed by an Item Delimitation Item before offset {end}{where}");
                return;
            }
            var tag = ReadTag(enc);
            if (tag == DicomTag.ItemDelimitationItem && untilDelimiter)
            {
                ReadUInt32(enc);
                return;
            }
            if (tag.Group == 0xFFFE)
                throw Error($"unexpected {DelimiterName(tag)} {tag} at offset {start}{where}");
            dataset.Add(ReadElement(dataset, tag, start, enc, end, depth));
        }
    }

    DicomElement ReadElement(DicomDataset owner, DicomTag tag, long start, Encoding enc, long end, int depth)
    {
        string vr;
        uint len;
        if (enc.Explicit)
        {
            Fill(2);
            if (!IsVr(scratch[0], scratch[1]))
                throw Error($"element {tag.Describe()} at offset {start}{where} has no valid VR (bytes 0x{scratch[0]:X2} 0x{scratch[1]:X2}); " +
                            $"the data does not match its transfer syntax {syntax}");
            vr = $"{(char)scratch[0]}{(char)scratch[1]}";
            if (LongVrs.Contains(vr))
            {
                Fill(2);
                len = ReadUInt32(enc);
            }
            else len = ReadUInt16(enc);
        }
        else
        {
            len = ReadUInt32(enc);
            vr = DicomDictionary.Vr(tag) ?? "UN";
        }

        long valueStart = stream.Position;
        bool undefined = len == UndefinedLength;
        if (undefined && tag != DicomTag.PixelData && enc.Explicit && vr is not ("SQ" or "UN"))
            throw Error($"element {tag.Describe()} ({vr}) at offset {start}{where} has an undefined length, which only sequences may have");

        if (vr == "SQ" || (undefined && tag != DicomTag.PixelData) || (vr == "UN" && !enc.Explicit && StartsWithItem(enc, len, end)))
        {
            if (depth >= MaxDepth) throw Error($"sequences are nested more than {MaxDepth} levels deep at offset {start}{where}");
            // An undefined-length UN in explicit VR holds a sequence encoded in implicit VR little endian (PS3.5 §6.2.2).
            var itemEnc = vr == "UN" && enc.Explicit ? ImplicitLittle : enc;
            long? seqEnd = undefined ? null : CheckFits($"element {tag.Describe()}", start, len, end);
            var items = ReadSequence(owner, tag, itemEnc, seqEnd, end, depth + 1);
            return new DicomElement(tag, "SQ", [], enc.BigEndian, valueStart, undefined ? -1 : len, items);
        }
        if (undefined)
        {
            // Only the image's own Pixel Data is kept; nested (icon) pixel data is skipped.
            var fragments = tag == DicomTag.PixelData && depth == 0 && readPixels ? new List<byte[]>() : null;
            ReadFragments(enc, end, fragments);
            return new DicomElement(tag, vr, [], enc.BigEndian, valueStart, -1, isEncapsulated: true, fragments: fragments);
        }
        long valueEnd = CheckFits($"element {tag.Describe()}", start, len, end);
        if (tag == DicomTag.PixelData && depth == 0 && !readPixels)
        {
            stream.Position = valueEnd;
            return new DicomElement(tag, vr, [], enc.BigEndian, valueStart, len, isLoaded: false);
        }
        var bytes = new byte[len];
        stream.ReadExactly(bytes);
        return new DicomElement(tag, vr, bytes, enc.BigEndian, valueStart, len);
    }

    List<DicomDataset> ReadSequence(DicomDataset owner, DicomTag tag, Encoding enc, long? seqEnd, long end, int depth)
    {
        var items = new List<DicomDataset>();
        long limit = seqEnd ?? end;
        while (true)
        {
            long at = stream.Position;
            if (at >= limit)
            {
                if (seqEnd is null)
                    throw Error($"sequence {tag.Describe()} of undefined length is not closed by a Sequence Delimitation Item before offset {limit}{where}");
                return items;
            }
            var itemTag = ReadTag(enc);
            uint len = ReadUInt32(enc);
            if (itemTag == DicomTag.SequenceDelimitationItem && seqEnd is null) return items;
            if (itemTag != DicomTag.Item)
                throw Error($"sequence {tag.Describe()}: expected an item {DicomTag.Item} at offset {at}{where}, found {itemTag}");
            var item = new DicomDataset(path, syntax, owner);
            if (len == UndefinedLength)
                ReadItemElements(item, enc, limit, untilDelimiter: true, depth);
            else
                ReadItemElements(item, enc, CheckFits($"item {items.Count + 1} of sequence {tag.Describe()}", at, len, limit), untilDelimiter: false, depth);
            items.Add(item);
        }
    }

    /// <summary>
    /// Encapsulated pixel data: the Basic Offset Table and the fragments as items, then a sequence
    /// delimiter (PS3.5 §A.4). Each item's value is kept in <paramref name="items"/> (the offset
    /// table first) when it is not null; every length is checked against the file, so what is kept
    /// never exceeds the file's size.
    /// </summary>
    void ReadFragments(Encoding enc, long end, List<byte[]>? items)
    {
        while (true)
        {
            long at = stream.Position;
            if (at >= end)
                throw Error($"encapsulated Pixel Data is not closed by a Sequence Delimitation Item before offset {end}{where}");
            var tag = ReadTag(enc);
            uint len = ReadUInt32(enc);
            if (tag == DicomTag.SequenceDelimitationItem) return;
            if (tag != DicomTag.Item || len == UndefinedLength)
                throw Error($"encapsulated Pixel Data: expected a fragment item {DicomTag.Item} at offset {at}{where}, found {tag}");
            long next = CheckFits("a Pixel Data fragment", at, len, end);
            if (items is null) stream.Position = next;
            else
            {
                var value = new byte[len];
                stream.ReadExactly(value);
                items.Add(value);
            }
        }
    }

    /// <summary>In implicit VR, an unknown element whose value begins with an item header is a sequence.</summary>
    bool StartsWithItem(Encoding enc, uint len, long end)
    {
        long at = stream.Position;
        if (len < 8 || at + 8 > Math.Min(end, at + len)) return false;
        var tag = ReadTag(enc);
        uint itemLen = ReadUInt32(enc);
        stream.Position = at;
        return tag == DicomTag.Item && (itemLen == UndefinedLength || itemLen <= len - 8);
    }

    /// <summary>The end offset of a value of <paramref name="len"/> bytes that starts here, or an error when it runs past <paramref name="end"/>.</summary>
    long CheckFits(string what, long start, uint len, long end)
    {
        long valueEnd = stream.Position + len;
        if (valueEnd <= end) return valueEnd;
        string container = end == length ? $"the end of the file ({length} bytes{where})" : $"the end of its enclosing item (offset {end}{where})";
        throw Error($"{what} at offset {start}{where} has length {len}, which runs {valueEnd - end} bytes past {container}; the file is truncated or corrupt");
    }

    /// <summary>The group of the next tag, little endian (the meta group's byte order).</summary>
    ushort PeekGroup()
    {
        long at = stream.Position;
        Fill(2);
        stream.Position = at;
        return BinaryPrimitives.ReadUInt16LittleEndian(scratch);
    }

    DicomTag ReadTag(Encoding enc) => new(ReadUInt16(enc), ReadUInt16(enc));

    ushort ReadUInt16(Encoding enc)
    {
        Fill(2);
        return enc.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(scratch) : BinaryPrimitives.ReadUInt16LittleEndian(scratch);
    }

    uint ReadUInt32(Encoding enc)
    {
        Fill(4);
        return enc.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(scratch) : BinaryPrimitives.ReadUInt32LittleEndian(scratch);
    }

    void Fill(int count)
    {
        long at = stream.Position;
        if (at + count > length)
            throw Error($"truncated element header at offset {at}{where}: the file ends after {length} bytes");
        stream.ReadExactly(scratch, 0, count);
    }

    static bool IsVr(byte a, byte b) => a is >= (byte)'A' and <= (byte)'Z' && b is >= (byte)'A' and <= (byte)'Z';

    static string DelimiterName(DicomTag tag) =>
        tag == DicomTag.Item ? "item" : tag == DicomTag.ItemDelimitationItem ? "Item Delimitation Item"
        : tag == DicomTag.SequenceDelimitationItem ? "Sequence Delimitation Item" : "delimiter";

    DicomFormatException Error(string problem) => new(path, problem);
}
