using System.Buffers.Binary;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Splits encapsulated Pixel Data into one compressed stream per frame (PS3.5 §A.4): by the
/// Extended Offset Table when present (PS3.3 C.7.6.3.1.8: one fragment per frame), else by a
/// non-empty Basic Offset Table, else — the table is empty — one frame per fragment when the
/// counts match, all fragments for a single frame, or a new frame at each fragment that starts
/// with the codec's start marker (JPEG SOI, JPEG 2000 SOC or JP2 signature), as pydicom and
/// dcmtk do. Offsets are checked against the fragments, never trusted.
/// </summary>
internal static class EncapsulatedFrames
{
    /// <summary>Item header size: tag and 32-bit length.</summary>
    const int ItemHeader = 8;

    public static byte[][] Split(DicomDataset ds, IReadOnlyList<byte[]> items, int frames)
    {
        string path = ds.Source;
        if (items.Count == 0) throw new DicomFormatException(path, "encapsulated Pixel Data has no Basic Offset Table item");
        var table = items[0];
        var fragments = items.Skip(1).ToArray();
        if (fragments.Length == 0) throw new DicomFormatException(path, "encapsulated Pixel Data has no fragments");

        // Where each fragment's item starts, counted from the first fragment's item tag (the
        // origin of both offset tables).
        var starts = new long[fragments.Length];
        for (int i = 1; i < fragments.Length; i++) starts[i] = starts[i - 1] + ItemHeader + fragments[i - 1].Length;

        var extended = ds.Find(DicomTag.ExtendedOffsetTable);
        if (extended is not null && extended.Bytes.Length > 0)
            return ByExtendedTable(ds, extended.Bytes, fragments, starts, frames);
        if (table.Length > 0) return ByBasicTable(path, table, fragments, starts, frames);
        if (fragments.Length == frames) return fragments;
        if (frames == 1) return [Concat(fragments, 0, fragments.Length)];
        return ByStartMarker(ds, fragments, frames);
    }

    static byte[][] ByExtendedTable(DicomDataset ds, byte[] table, byte[][] fragments, long[] starts, int frames)
    {
        string path = ds.Source;
        var lengths = ds.Find(DicomTag.ExtendedOffsetTableLengths)?.Bytes ?? [];
        if (table.Length != 8L * frames || lengths.Length != 8L * frames)
            throw new DicomFormatException(path,
                $"the {DicomTag.ExtendedOffsetTable.Describe()} ({table.Length / 8} offsets) and its lengths ({lengths.Length / 8}) do not give one entry for each of the {frames} frames");
        var result = new byte[frames][];
        for (int f = 0; f < frames; f++)
        {
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(8 * f));
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengths.AsSpan(8 * f));
            int k = offset > long.MaxValue ? -1 : Array.BinarySearch(starts, (long)offset);
            if (k < 0)
                throw new DicomFormatException(path, $"the {DicomTag.ExtendedOffsetTable.Describe()} places frame {f + 1} at offset {offset}, which is not the start of a fragment");
            if (length > (ulong)fragments[k].Length)
                throw new DicomFormatException(path, $"the {DicomTag.ExtendedOffsetTableLengths.Describe()} gives frame {f + 1} {length} bytes, more than its fragment's {fragments[k].Length}");
            result[f] = length == (ulong)fragments[k].Length ? fragments[k] : fragments[k][..(int)length];
        }
        return result;
    }

    static byte[][] ByBasicTable(string path, byte[] table, byte[][] fragments, long[] starts, int frames)
    {
        if (table.Length != 4L * frames)
            throw new DicomFormatException(path, $"the Basic Offset Table has {table.Length} bytes, not 4 for each of the {frames} frames");
        var first = new int[frames + 1];
        for (int f = 0; f < frames; f++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4 * f));
            int k = Array.BinarySearch(starts, (long)offset);
            if (k < 0 || (f == 0 && k != 0) || (f > 0 && k <= first[f - 1]))
                throw new DicomFormatException(path,
                    $"the Basic Offset Table places frame {f + 1} at offset {offset}, which is not the start of a fragment after the previous frame's");
            first[f] = k;
        }
        first[frames] = fragments.Length;
        var result = new byte[frames][];
        for (int f = 0; f < frames; f++) result[f] = Concat(fragments, first[f], first[f + 1]);
        return result;
    }

    static byte[][] ByStartMarker(DicomDataset ds, byte[][] fragments, int frames)
    {
        var first = new List<int>();
        for (int k = 0; k < fragments.Length; k++)
            if (StartsFrame(fragments[k])) first.Add(k);
        if (first.Count != frames || first[0] != 0)
            throw new DicomFormatException(ds.Source,
                $"encapsulated Pixel Data has {fragments.Length} fragments for {frames} frames and an empty Basic Offset Table, " +
                $"and its fragments do not split into frames by their start markers ({first.Count} found)");
        first.Add(fragments.Length);
        var result = new byte[frames][];
        for (int f = 0; f < frames; f++) result[f] = Concat(fragments, first[f], first[f + 1]);
        return result;
    }

    /// <summary>JPEG / JPEG-LS SOI (FFD8), JPEG 2000 codestream SOC + SIZ (FF4F FF51), or a JP2 file's signature box.</summary>
    static bool StartsFrame(byte[] f) =>
        (f.Length >= 2 && f[0] == 0xFF && f[1] == 0xD8)
        || (f.Length >= 4 && f[0] == 0xFF && f[1] == 0x4F && f[2] == 0xFF && f[3] == 0x51)
        || f.AsSpan().StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]);

    static byte[] Concat(byte[][] fragments, int from, int to)
    {
        if (to - from == 1) return fragments[from];
        long total = 0;
        for (int k = from; k < to; k++) total += fragments[k].Length;
        var result = new byte[checked((int)total)];
        int at = 0;
        for (int k = from; k < to; k++)
        {
            fragments[k].CopyTo(result, at);
            at += fragments[k].Length;
        }
        return result;
    }
}
