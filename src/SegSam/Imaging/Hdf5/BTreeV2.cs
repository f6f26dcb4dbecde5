using System.Numerics;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// Walks a version 2 B-tree (File Format Specification, III.A.2): a checksummed "BTHD" header,
/// "BTIN" internal nodes and "BTLF" leaves, records in both. Used for dense groups' name index
/// (record type 5) and the chunk index of layout version 4 (types 10 and 11). The widths of the
/// child record counts depend on how many records a node of the tree's node size can hold at each
/// depth, computed here as the format defines them. Every node is checksummed, visited once and
/// must hold no more records than fit in it.
/// </summary>
internal static class BTreeV2
{
    const int NodePrefix = 4 + 1 + 1; // signature, version, type
    const int ChecksumSize = 4;

    /// <summary>Calls <paramref name="record"/> with a reader over each record of the tree (its bytes only).</summary>
    public static void Walk(Hdf5Source source, long address, int recordType, string what, Action<FieldReader> record)
    {
        string tree = $"{what}: v2 B-tree at {address}";
        var header = source.Fields(address, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + source.OffsetSize + 2 + source.LengthSize + 4, tree);
        header.Signature("BTHD");
        int version = header.U8();
        if (version != 0) throw source.Fail($"{tree}: version {version} is not supported");
        int type = header.U8();
        if (type != recordType) throw source.Fail($"{tree}: record type {type}, expected {recordType}");
        long nodeSize = header.U32();
        int recordSize = header.U16();
        int depth = header.U16();
        header.Skip(2); // split and merge percentages
        long root = header.Address();
        int rootRecords = header.U16();
        header.Length("total records");
        header.Checksum();
        if (root == FieldReader.Undefined) return;
        if (recordSize == 0 || nodeSize <= NodePrefix + ChecksumSize || nodeSize > 1 << 24 || depth > 64)
            throw source.Fail($"{tree}: node size {nodeSize}, record size {recordSize} or depth {depth} is not valid");
        var capacity = Capacities(source, nodeSize, recordSize, depth, tree);

        var seen = new HashSet<long>();
        var pending = new Stack<(long Address, int Records, int Depth)>();
        pending.Push((root, rootRecords, depth));
        while (pending.TryPop(out var node))
        {
            string where = $"{tree}: node at {node.Address}";
            if (!seen.Add(node.Address)) throw source.Fail($"{where} is reached twice (the tree loops)");
            if (node.Records > capacity[node.Depth].MaxRecords)
                throw source.Fail($"{where} claims {node.Records} records, more than its {nodeSize} bytes can hold");
            source.Step(what, 1 + node.Records);
            int pointerSize = node.Depth == 0 ? 0 : capacity[node.Depth].PointerSize;
            long length = NodePrefix + (long)node.Records * recordSize + (node.Depth == 0 ? 0 : (node.Records + 1L) * pointerSize) + ChecksumSize;
            var fields = source.Fields(node.Address, length, where);
            fields.Signature(node.Depth == 0 ? "BTLF" : "BTIN");
            if (fields.U8() != 0) throw source.Fail($"{where}: unsupported node version");
            if (fields.U8() != recordType) throw source.Fail($"{where}: record type differs from the tree's");
            int recordsAt = fields.Position;
            fields.Skip(node.Records * recordSize);
            var children = new List<(long, int, int)>();
            if (node.Depth > 0)
            {
                for (int i = 0; i <= node.Records; i++)
                {
                    long child = fields.Address();
                    long count = (long)fields.Unsigned(capacity[0].CountSize);
                    if (node.Depth > 1) fields.Unsigned(capacity[node.Depth - 1].TotalSize);
                    if (count > capacity[node.Depth - 1].MaxRecords)
                        throw source.Fail($"{where}: a child claims {count} records, more than a node can hold");
                    children.Add((child, (int)count, node.Depth - 1));
                }
            }
            fields.Checksum();
            for (int i = 0; i < node.Records; i++)
                record(new FieldReader(source, fields.Bytes.AsSpan(recordsAt + i * recordSize, recordSize).ToArray(), $"{where}: record"));
            for (int i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
        }
    }

    /// <summary>
    /// For each depth: the most records a node holds, the bytes of a child pointer in a node at that
    /// depth, the bytes of a record count (leaf maximum) and of a subtree's total record count.
    /// </summary>
    static (long MaxRecords, int PointerSize, int CountSize, int TotalSize)[] Capacities(
        Hdf5Source source, long nodeSize, int recordSize, int depth, string tree)
    {
        var result = new (long MaxRecords, int PointerSize, int CountSize, int TotalSize)[depth + 1];
        long space = nodeSize - NodePrefix - ChecksumSize;
        long leafMax = space / recordSize;
        int countSize = EncodedSize(leafMax);
        long total = leafMax;
        result[0] = (leafMax, 0, countSize, 0);
        for (int d = 1; d <= depth; d++)
        {
            int pointerSize = source.OffsetSize + countSize + (d == 1 ? 0 : result[d - 1].TotalSize);
            long max = (space - pointerSize) / (recordSize + pointerSize);
            if (max < 1) throw source.Fail($"{tree}: nodes of {nodeSize} bytes cannot hold a tree {depth} deep");
            total = total > long.MaxValue / (max + 2) ? long.MaxValue / 2 : (max + 1) * total + max;
            result[d] = (max, pointerSize, countSize, EncodedSize(total));
        }
        return result;
    }

    /// <summary>Bytes needed to store values up to <paramref name="max"/>: floor(log2(max)) / 8 + 1.</summary>
    static int EncodedSize(long max) => max <= 0 ? 1 : BitOperations.Log2((ulong)max) / 8 + 1;
}
