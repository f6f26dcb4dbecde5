namespace SegSam.Imaging.Hdf5;

/// <summary>One header message: its type (IV.A.2), flags and body.</summary>
internal sealed record HeaderMessage(int Type, int Flags, byte[] Body)
{
    /// <summary>Flag bit 1: the body only points at a message stored elsewhere (IV.A.2, shared messages).</summary>
    public bool IsShared => (Flags & 0x02) != 0;
}

/// <summary>The header message types read here (File Format Specification, IV.A.2).</summary>
internal static class MessageType
{
    public const int Nil = 0x00;
    public const int Dataspace = 0x01;
    public const int LinkInfo = 0x02;
    public const int Datatype = 0x03;
    public const int FillValueOld = 0x04;
    public const int FillValue = 0x05;
    public const int Link = 0x06;
    public const int ExternalFiles = 0x07;
    public const int Layout = 0x08;
    public const int FilterPipeline = 0x0B;
    public const int Continuation = 0x10;
    public const int SymbolTable = 0x11;
}

/// <summary>
/// An object's header (File Format Specification, IV.A): the messages that say what the object
/// is (group, dataset, datatype) and how it is stored. Version 1 headers (16-byte prefix,
/// 8-byte-aligned messages) and version 2 headers ("OHDR", checksummed) are read, with every
/// continuation block followed from a queue; a block seen twice is a loop and fails.
/// </summary>
internal sealed class ObjectHeader
{
    /// <summary>More messages than any real object has (a version 1 header counts them in 16 bits).</summary>
    const int MaxMessages = 65_536;

    readonly List<HeaderMessage> messages = [];

    ObjectHeader(long address) => Address = address;

    public long Address { get; }
    public IReadOnlyList<HeaderMessage> Messages => messages;

    public HeaderMessage? Find(int type) => messages.FirstOrDefault(m => m.Type == type);

    public bool Has(int type) => messages.Any(m => m.Type == type);

    public static ObjectHeader Read(Hdf5Source source, long address, string what)
    {
        if (address == FieldReader.Undefined) throw source.Fail($"{what}: the object has no address");
        var header = new ObjectHeader(address);
        var start = source.Read(address, Math.Min(4, Math.Max(0, source.Length - source.BaseAddress - address)), $"{what}: object header");
        if (start.Length == 4 && start.AsSpan().SequenceEqual("OHDR"u8)) header.ReadVersion2(source, what);
        else header.ReadVersion1(source, what);
        return header;
    }

    /// <summary>Version 1 (IV.A.1.a): version, reserved, message count, reference count, size, padding to 16.</summary>
    void ReadVersion1(Hdf5Source source, string what)
    {
        var prefix = source.Fields(Address, 16, $"{what}: object header");
        int version = prefix.U8();
        if (version != 1) throw source.Fail($"{what}: not an object header (version {version} at address {Address})");
        prefix.Skip(1);
        int count = prefix.U16();
        prefix.Skip(4);
        long size = prefix.U32();
        var blocks = new Queue<(long Address, long Length)>();
        blocks.Enqueue((Address + 16, size));
        ReadBlocks(source, blocks, what, block =>
        {
            var fields = source.Fields(block.Address, block.Length, $"{what}: object header block at {block.Address}");
            while (fields.Remaining >= 8)
            {
                int type = fields.U16();
                int length = fields.U16();
                int flags = fields.U8();
                fields.Skip(3);
                Add(source, type, flags, fields.Copy(length), blocks, what);
            }
        });
        if (messages.Count > count && count > 0)
            throw source.Fail($"{what}: object header holds {messages.Count} messages but says {count}");
    }

    /// <summary>Version 2 (IV.A.1.b): "OHDR", version 2, flags, optional times and phase-change values, chunk size; checksummed.</summary>
    void ReadVersion2(Hdf5Source source, string what)
    {
        var head = source.Fields(Address, Math.Min(6, source.Length - source.BaseAddress - Address), $"{what}: object header");
        head.Signature("OHDR");
        int version = head.U8();
        if (version != 2) throw source.Fail($"{what}: object header version {version} is not supported (1 and 2 are)");
        int flags = head.U8();
        int sizeBytes = 1 << (flags & 0x03);
        int prefixLength = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0) + sizeBytes;
        var prefix = source.Fields(Address, prefixLength, $"{what}: object header");
        prefix.Skip(prefixLength - sizeBytes);
        long size = prefix.Count(sizeBytes, "chunk size");
        bool creationOrder = (flags & 0x04) != 0;
        var blocks = new Queue<(long Address, long Length)>();
        bool first = true;
        ReadBlocks(source, blocks, what, block =>
        {
            FieldReader fields;
            if (first)
            {
                first = false;
                fields = source.Fields(Address, checked(prefixLength + size + 4), $"{what}: object header");
                fields.Position = prefixLength;
                ReadVersion2Messages(source, fields, checked(prefixLength + (int)size), creationOrder, blocks, what);
            }
            else
            {
                fields = source.Fields(block.Address, block.Length, $"{what}: object header continuation block at {block.Address}");
                fields.Signature("OCHK");
                ReadVersion2Messages(source, fields, (int)block.Length - 4, creationOrder, blocks, what);
            }
            fields.Checksum();
        }, (Address, size));
    }

    void ReadVersion2Messages(Hdf5Source source, FieldReader fields, int end, bool creationOrder, Queue<(long, long)> blocks, string what)
    {
        if (end < fields.Position || end > fields.Bytes.Length) throw source.Fail($"{what}: object header block size is inconsistent");
        int headerLength = creationOrder ? 6 : 4;
        while (end - fields.Position >= headerLength)
        {
            int type = fields.U8();
            int length = fields.U16();
            int flags = fields.U8();
            if (creationOrder) fields.Skip(2);
            if (length > end - fields.Position) throw source.Fail($"{what}: header message of {length} bytes runs past its block");
            Add(source, type, flags, fields.Copy(length), blocks, what);
        }
        fields.Position = end; // the gap left after the last message (IV.A.1.b)
    }

    void Add(Hdf5Source source, int type, int flags, byte[] body, Queue<(long, long)> blocks, string what)
    {
        source.Step(what);
        if (messages.Count >= MaxMessages) throw source.Fail($"{what}: object header holds more than {MaxMessages} messages");
        if (type == MessageType.Continuation)
        {
            // Continuation message (IV.A.2.q): where the next block of messages lies and its length.
            var fields = new FieldReader(source, body, $"{what}: continuation message");
            long address = fields.Address();
            long length = fields.Length("continuation length");
            blocks.Enqueue((address, length));
            return;
        }
        if (type != MessageType.Nil) messages.Add(new HeaderMessage(type, flags, body));
    }

    /// <summary>Reads the queued blocks in order, refusing a block seen before (a continuation loop).</summary>
    static void ReadBlocks(Hdf5Source source, Queue<(long Address, long Length)> blocks, string what,
        Action<(long Address, long Length)> read, (long, long)? first = null)
    {
        var seen = new HashSet<long>();
        if (first is { } f) blocks.Enqueue(f);
        while (blocks.TryDequeue(out var block))
        {
            if (!seen.Add(block.Address))
                throw source.Fail($"{what}: object header continuation blocks form a loop (block at {block.Address} again)");
            source.Step(what);
            read(block);
        }
    }
}
