namespace SegSam.Imaging.Hdf5;

/// <summary>
/// The links of a group, in whichever of HDF5's three forms it keeps them: an old-style symbol
/// table (a v1 B-tree of "SNOD" symbol table nodes naming entries in a local heap, III.A.1, III.B,
/// III.C, III.D), compact link messages in the group's header (IV.A.2.g), or dense storage (a
/// link info message pointing at a fractal heap of link messages indexed by a v2 B-tree of name
/// hashes, IV.A.2.c). The links come back sorted by name, as HDF5 iterates a group by name.
/// </summary>
internal static class GroupLinks
{
    /// <summary>More links than one group of a real file holds.</summary>
    public const int MaxLinks = 1_000_000;

    /// <summary>True when the object header is a group's (HDF5 tests the same two messages).</summary>
    public static bool IsGroup(ObjectHeader header) => header.Has(MessageType.SymbolTable) || header.Has(MessageType.LinkInfo);

    public static List<Link> Read(Hdf5Source source, ObjectHeader header, string what)
    {
        var links = new List<Link>();
        if (header.Find(MessageType.SymbolTable) is { } table)
        {
            ReadSymbolTable(source, table, links, what);
        }
        else
        {
            long heap = FieldReader.Undefined, nameIndex = FieldReader.Undefined;
            if (header.Find(MessageType.LinkInfo) is { } info) (heap, nameIndex) = ReadLinkInfo(source, info, what);
            if (heap == FieldReader.Undefined)
            {
                foreach (var message in header.Messages.Where(m => m.Type == MessageType.Link))
                    Add(source, links, Link.Parse(source, message.Body, what), what);
            }
            else ReadDense(source, heap, nameIndex, links, what);
        }
        links.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 1; i < links.Count; i++)
            if (links[i].Name == links[i - 1].Name) throw source.Fail($"{what}: the group holds two links named '{links[i].Name}'");
        return links;
    }

    static void Add(Hdf5Source source, List<Link> links, Link link, string what)
    {
        source.Step(what);
        if (links.Count >= MaxLinks) throw source.Fail($"{what}: the group holds more than {MaxLinks} links");
        links.Add(link);
    }

    /// <summary>Symbol table message (IV.A.2.r): v1 B-tree address, local heap address.</summary>
    static void ReadSymbolTable(Hdf5Source source, HeaderMessage message, List<Link> links, string what)
    {
        var fields = new FieldReader(source, message.Body, $"{what}: symbol table message");
        long tree = fields.Address();
        long heapAddress = fields.Address();
        var heap = LocalHeap.Read(source, heapAddress, what);
        var seen = new HashSet<long>();
        BTreeV1.Walk(source, tree, nodeType: 0, keySize: source.LengthSize, what, (_, node) =>
        {
            if (!seen.Add(node)) throw source.Fail($"{what}: symbol table node at {node} is listed twice");
            ReadSymbolNode(source, node, heap, links, what);
        });
    }

    /// <summary>"SNOD", version 1, reserved, entry count, then symbol table entries (III.B, III.C).</summary>
    static void ReadSymbolNode(Hdf5Source source, long address, LocalHeap heap, List<Link> links, string what)
    {
        string where = $"{what}: symbol table node at {address}";
        var head = source.Fields(address, 8, where);
        head.Signature("SNOD");
        int version = head.U8();
        if (version != 1) throw source.Fail($"{where}: version {version} is not supported");
        head.Skip(1);
        int count = head.U16();
        int entrySize = 2 * source.OffsetSize + 4 + 4 + 16;
        var fields = source.Fields(address, 8 + (long)count * entrySize, where);
        fields.Position = 8;
        for (int i = 0; i < count; i++)
        {
            long nameOffset = fields.Count(source.OffsetSize, "link name offset");
            long objectAddress = fields.Address();
            uint cacheType = fields.U32();
            fields.Skip(4);
            int scratchAt = fields.Position;
            fields.Skip(16);
            string name = heap.String(nameOffset);
            if (cacheType == 2)
            {
                // A soft link: the scratch pad holds the offset of its value in the local heap.
                var scratch = new FieldReader(source, fields.Bytes, where) { Position = scratchAt };
                Add(source, links, new Link(name, LinkKind.Soft, Target: heap.String(scratch.U32())), what);
            }
            else Add(source, links, new Link(name, LinkKind.Hard, objectAddress), what);
        }
    }

    /// <summary>Link info message (IV.A.2.c): version 0, flags, optional creation index, fractal heap and name index addresses.</summary>
    static (long Heap, long NameIndex) ReadLinkInfo(Hdf5Source source, HeaderMessage message, string what)
    {
        var fields = new FieldReader(source, message.Body, $"{what}: link info message");
        int version = fields.U8();
        if (version != 0) throw source.Fail($"{what}: link info message version {version} is not supported");
        int flags = fields.U8();
        if ((flags & 0x01) != 0) fields.Skip(8);
        return (fields.Address(), fields.Address());
    }

    /// <summary>Dense storage: each record of the name index (type 5: name hash, heap ID) locates one link message in the heap.</summary>
    static void ReadDense(Hdf5Source source, long heapAddress, long nameIndex, List<Link> links, string what)
    {
        var heap = FractalHeap.Read(source, heapAddress, what);
        if (nameIndex == FieldReader.Undefined) throw source.Fail($"{what}: dense link storage has no name index");
        BTreeV2.Walk(source, nameIndex, recordType: 5, what, record =>
        {
            record.Skip(4); // hash of the name
            var link = Link.Parse(source, heap.Get(record.Span(heap.IdLength)), what);
            Add(source, links, link, what);
        });
    }
}
