using System.Numerics;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A fractal heap (File Format Specification, III.G), where a dense group keeps its link
/// messages. Objects are found from their heap IDs: "managed" objects by walking the doubling
/// table of indirect blocks down to the direct block that holds the ID's offset, "tiny" objects
/// inside the ID itself. Huge objects (bigger than a direct block) and filtered heaps are not
/// used for links by HDF5 and are refused. Each descent is bounded by the table's row count,
/// direct blocks are read once and checked to lie inside the file.
/// </summary>
internal sealed class FractalHeap
{
    readonly Hdf5Source source;
    readonly string what;
    readonly int tableWidth;
    readonly long startBlockSize;
    readonly int maxDirectRows;
    readonly int offsetSize;   // bytes of a heap offset (in IDs and block headers)
    readonly int lengthSize;   // bytes of an object length in a managed ID
    readonly long rootAddress;
    readonly int rootRows;
    readonly long maxHeapSize;
    readonly Dictionary<long, byte[]> directBlocks = [];

    FractalHeap(Hdf5Source source, string what, int tableWidth, long startBlockSize, long maxDirectSize, int maxHeapBits,
        long maxManagedSize, long rootAddress, int rootRows)
    {
        this.source = source;
        this.what = what;
        this.tableWidth = tableWidth;
        this.startBlockSize = startBlockSize;
        this.rootAddress = rootAddress;
        this.rootRows = rootRows;
        int startBits = BitOperations.Log2((ulong)startBlockSize);
        int maxDirectBits = BitOperations.Log2((ulong)maxDirectSize);
        maxDirectRows = maxDirectBits - startBits + 2;
        offsetSize = (maxHeapBits + 7) / 8;
        lengthSize = Math.Min((maxDirectBits + 7) / 8, BitOperations.Log2((ulong)Math.Max(1, maxManagedSize)) / 8 + 1);
        maxHeapSize = maxHeapBits >= 63 ? long.MaxValue : 1L << maxHeapBits;
    }

    /// <summary>The heap ID length its objects are referred to by.</summary>
    public int IdLength { get; private init; }

    public static FractalHeap Read(Hdf5Source source, long address, string what)
    {
        string heap = $"{what}: fractal heap at {address}";
        int o = source.OffsetSize, l = source.LengthSize;
        var fields = source.Fields(address, 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8 * l + 2 + l + l + 2 + 2 + o + 2, heap);
        fields.Signature("FRHP");
        int version = fields.U8();
        if (version != 0) throw source.Fail($"{heap}: version {version} is not supported");
        int idLength = fields.U16();
        int filterLength = fields.U16();
        fields.U8(); // flags
        long maxManagedSize = fields.U32();
        fields.Length("next huge object ID");
        fields.Address(); // huge object B-tree
        fields.Length("free space");
        fields.Address(); // free-space manager
        for (int i = 0; i < 8; i++) fields.Length("heap statistics");
        int tableWidth = fields.U16();
        long startBlockSize = fields.Length("starting block size");
        long maxDirectSize = fields.Length("maximum direct block size");
        int maxHeapBits = fields.U16();
        fields.U16(); // starting rows of the root indirect block
        long rootAddress = fields.Address();
        int rootRows = fields.U16();
        if (filterLength > 0) throw source.Fail($"{heap}: filtered heaps are not supported");
        // The checksum follows the fields just read.
        var whole = source.Fields(address, fields.Position + 4, heap);
        whole.Position = fields.Position;
        whole.Checksum();
        if (tableWidth is < 1 or > 65536 || !BitOperations.IsPow2(tableWidth)
            || startBlockSize < 64 || !BitOperations.IsPow2(startBlockSize)
            || maxDirectSize < startBlockSize || !BitOperations.IsPow2(maxDirectSize) || maxDirectSize > 1 << 26
            || maxHeapBits is < 1 or > 64 || rootRows > 64 || idLength is < 2 or > 1024)
            throw source.Fail($"{heap}: its doubling table parameters are not valid");
        return new FractalHeap(source, heap, tableWidth, startBlockSize, maxDirectSize, maxHeapBits, maxManagedSize, rootAddress, rootRows)
        {
            IdLength = idLength,
        };
    }

    /// <summary>The object a heap ID refers to (its first byte: version in bits 6–7, type in bits 4–5).</summary>
    public byte[] Get(ReadOnlySpan<byte> id)
    {
        if (id.Length != IdLength) throw source.Fail($"{what}: heap ID of {id.Length} bytes, expected {IdLength}");
        int version = id[0] >> 6, type = (id[0] >> 4) & 0x03;
        if (version != 0) throw source.Fail($"{what}: heap ID version {version} is not supported");
        switch (type)
        {
            case 0:
                if (1 + offsetSize + lengthSize > id.Length) throw source.Fail($"{what}: heap IDs are too short for managed objects");
                long offset = (long)Unsigned(id.Slice(1, offsetSize));
                long length = (long)Unsigned(id.Slice(1 + offsetSize, lengthSize));
                return Managed(offset, length);
            case 2:
                int tinyLength = (id[0] & 0x0F) + 1;
                if (1 + tinyLength > id.Length) throw source.Fail($"{what}: tiny object runs past its heap ID");
                return id.Slice(1, tinyLength).ToArray();
            default:
                throw source.Fail($"{what}: huge heap objects are not supported");
        }
    }

    byte[] Managed(long offset, long length)
    {
        if (offset < 0 || length <= 0 || offset >= maxHeapSize || rootAddress == FieldReader.Undefined)
            throw source.Fail($"{what}: heap object at offset {offset} of {length} bytes is not valid");
        var (blockAddress, blockOffset, blockSize) = FindDirectBlock(offset);
        long inBlock = offset - blockOffset;
        if (length > blockSize - inBlock) throw source.Fail($"{what}: heap object at offset {offset} of {length} bytes runs past its block");
        var block = DirectBlock(blockAddress, blockOffset, blockSize);
        int header = 4 + 1 + source.OffsetSize + offsetSize;
        if (inBlock < header) throw source.Fail($"{what}: heap object at offset {offset} overlaps its block's header");
        return block.AsSpan((int)inBlock, (int)length).ToArray();
    }

    /// <summary>Walks from the root down the doubling table to the direct block that holds heap offset <paramref name="offset"/>.</summary>
    (long Address, long Offset, long Size) FindDirectBlock(long offset)
    {
        if (rootRows == 0)
        {
            if (offset >= startBlockSize) throw source.Fail($"{what}: heap offset {offset} lies outside its only block");
            return (rootAddress, 0, startBlockSize);
        }
        long address = rootAddress, blockOffset = 0;
        int rows = rootRows;
        var seen = new HashSet<long>();
        while (true)
        {
            if (!seen.Add(address)) throw source.Fail($"{what}: indirect block at {address} is reached twice (the heap loops)");
            source.Step(what);
            var entries = IndirectBlock(address, blockOffset, rows);
            long relative = offset - blockOffset;
            long rowStart = 0;
            int row = 0;
            for (; row < rows; row++)
            {
                long rowSpan = checked(RowBlockSize(row) * tableWidth);
                if (relative < checked(rowStart + rowSpan)) break;
                rowStart = checked(rowStart + rowSpan);
            }
            if (row == rows) throw source.Fail($"{what}: heap offset {offset} lies outside the heap's blocks");
            long size = RowBlockSize(row);
            long column = (relative - rowStart) / size;
            long child = entries[row * tableWidth + (int)column];
            long childOffset = blockOffset + rowStart + column * size;
            if (child == FieldReader.Undefined) throw source.Fail($"{what}: heap offset {offset} lies in a block that was never written");
            if (row < maxDirectRows) return (child, childOffset, size);
            int childRows = BitOperations.Log2((ulong)size) - BitOperations.Log2((ulong)(startBlockSize * tableWidth)) + 1;
            if (childRows < 1 || childRows >= rows) throw source.Fail($"{what}: indirect block at {child} has an impossible size");
            address = child;
            blockOffset = childOffset;
            rows = childRows;
        }
    }

    /// <summary>Blocks in row 0 and 1 have the starting size, each later row twice the one before (III.G).</summary>
    long RowBlockSize(int row)
    {
        if (row <= 1) return startBlockSize;
        if (row - 1 > 62 - BitOperations.Log2((ulong)startBlockSize)) throw source.Fail($"{what}: row {row} of the doubling table is impossibly large");
        return startBlockSize << (row - 1);
    }

    /// <summary>"FHIB": version, heap header address, block offset, child block addresses (direct rows first), checksum.</summary>
    long[] IndirectBlock(long address, long blockOffset, int rows)
    {
        string where = $"{what}: indirect block at {address}";
        int count = rows * tableWidth;
        var fields = source.Fields(address, 4 + 1 + source.OffsetSize + offsetSize + (long)count * source.OffsetSize + 4, where);
        fields.Signature("FHIB");
        if (fields.U8() != 0) throw source.Fail($"{where}: unsupported version");
        fields.Address();
        long storedOffset = (long)fields.Unsigned(offsetSize);
        if (storedOffset != blockOffset) throw source.Fail($"{where}: block offset {storedOffset}, expected {blockOffset}");
        var entries = new long[count];
        for (int i = 0; i < count; i++) entries[i] = fields.Address();
        fields.Checksum();
        return entries;
    }

    /// <summary>"FHDB": version, heap header address, block offset, then objects (read whole, once).</summary>
    byte[] DirectBlock(long address, long blockOffset, long size)
    {
        if (directBlocks.TryGetValue(address, out var cached)) return cached;
        source.Step(what);
        string where = $"{what}: direct block at {address}";
        var fields = source.Fields(address, size, where);
        fields.Signature("FHDB");
        if (fields.U8() != 0) throw source.Fail($"{where}: unsupported version");
        fields.Address();
        long storedOffset = (long)fields.Unsigned(offsetSize);
        if (storedOffset != blockOffset) throw source.Fail($"{where}: block offset {storedOffset}, expected {blockOffset}");
        directBlocks[address] = fields.Bytes;
        return fields.Bytes;
    }

    static ulong Unsigned(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--) value = value << 8 | bytes[i];
        return value;
    }
}
