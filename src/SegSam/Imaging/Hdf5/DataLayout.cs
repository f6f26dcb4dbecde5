namespace SegSam.Imaging.Hdf5;

internal enum StorageKind { Compact, Contiguous, Chunked }

/// <summary>How a chunked dataset finds its chunks (layout version 4 names the index; versions 1–3 always use a v1 B-tree).</summary>
internal enum ChunkIndexKind { BTreeV1 = 0, SingleChunk = 1, Implicit = 2, FixedArray = 3, ExtensibleArray = 4, BTreeV2 = 5 }

/// <summary>
/// Where a dataset's values are (the data layout message, File Format Specification,
/// IV.A.2.i, versions 1–4): inside the message (compact), in one block (contiguous) or in
/// chunks found through an index. Chunk sizes are per dimension; the last "dimension" of the
/// message, the element size, is checked against the datatype and dropped.
/// </summary>
internal sealed class DataLayout
{
    public StorageKind Kind { get; private init; }
    public int Version { get; private init; }

    /// <summary>Compact storage: the values themselves.</summary>
    public byte[] CompactData { get; private init; } = [];

    /// <summary>Contiguous: the block's address (undefined when never written) and size; chunked: the index's address.</summary>
    public long Address { get; private init; } = FieldReader.Undefined;
    public long ContiguousSize { get; private init; } = -1;

    public long[] ChunkDims { get; private init; } = [];
    public ChunkIndexKind Index { get; private init; }

    /// <summary>Layout version 4 flags: bit 0, partial edge chunks are stored unfiltered; bit 1, the single chunk is filtered.</summary>
    public int Flags { get; private init; }
    public bool EdgeChunksUnfiltered => (Flags & 0x01) != 0;

    /// <summary>Single chunk index with filters: the stored chunk's size and filter mask.</summary>
    public long SingleChunkSize { get; private init; } = -1;
    public uint SingleChunkMask { get; private init; }

    public static DataLayout Parse(Hdf5Source source, byte[] body, int rank, int elementSize, string what)
    {
        var fields = new FieldReader(source, body, $"{what}: data layout message");
        int version = fields.U8();
        return version switch
        {
            1 or 2 => ParseVersion1Or2(source, fields, version, rank, elementSize, what),
            3 or 4 => ParseVersion3Or4(source, fields, version, rank, elementSize, what),
            _ => throw source.Fail($"{what}: data layout message version {version} is not supported (1–4 are)"),
        };
    }

    /// <summary>Versions 1 and 2: dimensionality, class, reserved, address, sizes (4 bytes each), element size or compact data.</summary>
    static DataLayout ParseVersion1Or2(Hdf5Source source, FieldReader fields, int version, int rank, int elementSize, string what)
    {
        int dimensionality = fields.U8();
        int layoutClass = fields.U8();
        fields.Skip(5);
        long address = layoutClass == 0 ? FieldReader.Undefined : fields.Address();
        var sizes = new long[dimensionality];
        for (int i = 0; i < dimensionality; i++) sizes[i] = fields.U32();
        switch (layoutClass)
        {
            case 0:
                long size = fields.U32();
                if (size > fields.Remaining) throw source.Fail($"{what}: compact data of {size} bytes runs past its message");
                return new DataLayout { Kind = StorageKind.Compact, Version = version, CompactData = fields.Copy((int)size) };
            case 1:
                return new DataLayout { Kind = StorageKind.Contiguous, Version = version, Address = address };
            case 2:
                fields.U32(); // dataset element size
                return new DataLayout
                {
                    Kind = StorageKind.Chunked, Version = version, Address = address, Index = ChunkIndexKind.BTreeV1,
                    ChunkDims = ChunkSizes(source, sizes, rank, elementSize, what),
                };
            default:
                throw source.Fail($"{what}: layout class {layoutClass} is not supported");
        }
    }

    static DataLayout ParseVersion3Or4(Hdf5Source source, FieldReader fields, int version, int rank, int elementSize, string what)
    {
        int layoutClass = fields.U8();
        switch (layoutClass)
        {
            case 0:
                int size = fields.U16();
                return new DataLayout { Kind = StorageKind.Compact, Version = version, CompactData = fields.Copy(size) };
            case 1:
                long address = fields.Address();
                long length = fields.Length("contiguous storage size");
                return new DataLayout { Kind = StorageKind.Contiguous, Version = version, Address = address, ContiguousSize = length };
            case 2 when version == 3:
                return ParseChunkedVersion3(source, fields, rank, elementSize, what);
            case 2:
                return ParseChunkedVersion4(source, fields, rank, elementSize, what);
            case 3:
                throw source.Fail($"{what} is a virtual dataset (mapped from other datasets), which is not supported");
            default:
                throw source.Fail($"{what}: layout class {layoutClass} is not supported");
        }
    }

    /// <summary>Version 3 chunked: dimensionality, B-tree address, chunk sizes of 4 bytes (the last is the element size).</summary>
    static DataLayout ParseChunkedVersion3(Hdf5Source source, FieldReader fields, int rank, int elementSize, string what)
    {
        int dimensionality = fields.U8();
        long address = fields.Address();
        var sizes = new long[dimensionality];
        for (int i = 0; i < dimensionality; i++) sizes[i] = fields.U32();
        return new DataLayout
        {
            Kind = StorageKind.Chunked, Version = 3, Address = address, Index = ChunkIndexKind.BTreeV1,
            ChunkDims = ChunkSizes(source, sizes, rank, elementSize, what, elementSizeLast: true),
        };
    }

    /// <summary>
    /// Version 4 chunked: flags, dimensionality, bytes per size, chunk sizes (the last is the element
    /// size), the index type and its parameters, then the index's address.
    /// </summary>
    static DataLayout ParseChunkedVersion4(Hdf5Source source, FieldReader fields, int rank, int elementSize, string what)
    {
        int flags = fields.U8();
        int dimensionality = fields.U8();
        int sizeBytes = fields.U8();
        if (sizeBytes is < 1 or > 8) throw source.Fail($"{what}: chunk sizes of {sizeBytes} bytes are not valid");
        var sizes = new long[dimensionality];
        for (int i = 0; i < dimensionality; i++) sizes[i] = fields.Count(sizeBytes, "chunk size");
        int index = fields.U8();
        long singleSize = -1;
        uint singleMask = 0;
        switch (index)
        {
            case (int)ChunkIndexKind.SingleChunk:
                if ((flags & 0x02) != 0)
                {
                    singleSize = fields.Length("filtered chunk size");
                    singleMask = fields.U32();
                }
                break;
            case (int)ChunkIndexKind.Implicit:
                break;
            case (int)ChunkIndexKind.FixedArray:
                fields.Skip(1); // page bits (the array's header repeats them)
                break;
            case (int)ChunkIndexKind.ExtensibleArray:
                fields.Skip(5); // the array's creation parameters (its header repeats them)
                break;
            case (int)ChunkIndexKind.BTreeV2:
                fields.Skip(6); // node size, split and merge percentages (its header repeats them)
                break;
            default:
                throw source.Fail($"{what}: chunk index type {index} is not supported");
        }
        return new DataLayout
        {
            Kind = StorageKind.Chunked, Version = 4, Flags = flags, Index = (ChunkIndexKind)index,
            SingleChunkSize = singleSize, SingleChunkMask = singleMask, Address = fields.Address(),
            ChunkDims = ChunkSizes(source, sizes, rank, elementSize, what, elementSizeLast: true),
        };
    }

    /// <summary>The chunk sizes of the dataset's dimensions: one more size than the rank, the last the element size.</summary>
    static long[] ChunkSizes(Hdf5Source source, long[] sizes, int rank, int elementSize, string what, bool elementSizeLast = false)
    {
        if (sizes.Length != rank + 1)
            throw source.Fail($"{what}: chunks of {sizes.Length - 1} dimensions for a dataset of {rank}");
        if (elementSizeLast && sizes[rank] != elementSize)
            throw source.Fail($"{what}: chunk element size {sizes[rank]} differs from the datatype's {elementSize}");
        var dims = sizes[..rank];
        if (dims.Any(d => d < 1 || d > uint.MaxValue)) throw source.Fail($"{what}: chunk size {Hdf5Text.Shape(dims)} is not valid");
        return dims;
    }
}
