namespace SegSam.Imaging.Hdf5;

/// <summary>
/// Walks a version 1 B-tree (File Format Specification, III.A.1): "TREE" nodes of type 0 (an
/// old-style group's symbol table nodes) or type 1 (a chunked dataset's chunks, layout versions
/// 1–3). The walk uses an explicit stack, never visits a node twice and requires each child to be
/// exactly one level below its parent, so a loop or a lying level ends with an error.
/// </summary>
internal static class BTreeV1
{
    /// <summary>
    /// Calls <paramref name="leaf"/> with each level-0 entry: its left key (a reader positioned at
    /// it) and the child address. Keys are <paramref name="keySize"/> bytes.
    /// </summary>
    public static void Walk(Hdf5Source source, long root, int nodeType, int keySize, string what, Action<FieldReader, long> leaf)
    {
        var seen = new HashSet<long>();
        var pending = new Stack<(long Address, int Level)>();
        pending.Push((root, -1));
        while (pending.TryPop(out var node))
        {
            if (!seen.Add(node.Address)) throw source.Fail($"{what}: B-tree node at {node.Address} is reached twice (the tree loops)");
            source.Step(what);
            int prefix = 8 + 2 * source.OffsetSize;
            var head = source.Fields(node.Address, prefix, $"{what}: B-tree node at {node.Address}");
            head.Signature("TREE");
            int type = head.U8();
            int level = head.U8();
            int entries = head.U16();
            if (type != nodeType) throw source.Fail($"{what}: B-tree node at {node.Address} has type {type}, expected {nodeType}");
            if (node.Level >= 0 && level != node.Level)
                throw source.Fail($"{what}: B-tree node at {node.Address} is at level {level}, expected {node.Level}");
            long length = prefix + (long)entries * (keySize + source.OffsetSize) + keySize;
            var fields = source.Fields(node.Address, length, $"{what}: B-tree node at {node.Address}");
            fields.Position = prefix;
            var children = new List<long>(entries);
            for (int i = 0; i < entries; i++)
            {
                int keyAt = fields.Position;
                fields.Skip(keySize);
                long child = fields.Address();
                if (level == 0)
                {
                    var key = new FieldReader(source, fields.Bytes, fields.What) { Position = keyAt };
                    leaf(key, child);
                }
                else children.Add(child);
            }
            // Pushed in reverse so that the children are walked left to right.
            for (int i = children.Count - 1; i >= 0; i--) pending.Push((children[i], level - 1));
        }
    }
}
