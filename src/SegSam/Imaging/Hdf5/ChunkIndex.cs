using System.Numerics;

namespace SegSam.Imaging.Hdf5;

/// <summary>One stored chunk: its position in chunks along each dimension, address, stored size and filter mask.</summary>
internal sealed record ChunkRecord(long[] Scaled, long Address, long Size, uint Mask);

/// <summary>
/// A chunked dataset's grid of chunks: how many along each dimension now, and at most (−1 for an
/// unlimited dimension), with the size of one chunk in bytes.
/// </summary>
internal sealed class ChunkGrid
{
    public ChunkGrid(long[] dims, long[] maxDims, long[] chunkDims, int elementSize)
    {
        Dims = dims;
        ChunkDims = chunkDims;
        Chunks = dims.Select((d, i) => checked(d + chunkDims[i] - 1) / chunkDims[i]).ToArray();
        MaxChunks = maxDims.Select((d, i) => d == Dataspace.Unlimited ? -1 : checked(d + chunkDims[i] - 1) / chunkDims[i]).ToArray();
        ChunkBytes = chunkDims.Aggregate((long)elementSize, (a, b) => checked(a * b));
    }

    public long[] Dims { get; }
    public long[] ChunkDims { get; }
    public long[] Chunks { get; }
    public long[] MaxChunks { get; }
    public long ChunkBytes { get; }
    public int Rank => Dims.Length;

    /// <summary>The number of chunks of the grid at its maximum size (all dimensions limited).</summary>
    public long MaxChunkCount => MaxChunks.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// Lists the chunks of a chunked dataset from whichever index its layout names (File Format
/// Specification, IV.A.2.i and Appendix C): a v1 B-tree keyed by chunk offsets (layout versions
/// 1–3), a single chunk, an implicit index (chunks in order at one address), a fixed array, an
/// extensible array or a v2 B-tree of scaled chunk offsets.
/// </summary>
internal static class ChunkIndex
{
    public static void Walk(Hdf5Source source, DataLayout layout, ChunkGrid grid, bool filtered, string what, Action<ChunkRecord> chunk)
    {
        // No chunk was ever written, or the dataset has no elements (and so no chunk positions).
        if (layout.Address == FieldReader.Undefined || grid.Chunks.Contains(0)) return;
        int rank = grid.Rank;
        switch (layout.Index)
        {
            case ChunkIndexKind.BTreeV1:
                WalkBTreeV1(source, layout.Address, grid, what, chunk);
                break;
            case ChunkIndexKind.SingleChunk:
                long size = filtered ? layout.SingleChunkSize : grid.ChunkBytes;
                if (size < 0) throw source.Fail($"{what}: a filtered single chunk has no stored size");
                chunk(new ChunkRecord(new long[rank], layout.Address, size, filtered ? layout.SingleChunkMask : 0));
                break;
            case ChunkIndexKind.Implicit:
                WalkImplicit(source, layout.Address, grid, filtered, what, chunk);
                break;
            case ChunkIndexKind.FixedArray:
                FixedArray.Walk(source, layout.Address, grid.MaxChunkCount, ElementSize(source, grid, filtered), what,
                    (index, element) => Element(element, ByIndex(grid, index, unlimited: -1), grid, filtered, chunk));
                break;
            case ChunkIndexKind.ExtensibleArray:
                int unlimited = Array.IndexOf(grid.MaxChunks, -1L);
                if (unlimited < 0 || Array.LastIndexOf(grid.MaxChunks, -1L) != unlimited)
                    throw source.Fail($"{what}: an extensible array index needs exactly one unlimited dimension");
                ExtensibleArray.Walk(source, layout.Address, ElementSize(source, grid, filtered), what,
                    (index, element) => Element(element, ByIndex(grid, index, unlimited), grid, filtered, chunk));
                break;
            case ChunkIndexKind.BTreeV2:
                WalkBTreeV2(source, layout.Address, grid, filtered, what, chunk);
                break;
            default:
                throw source.Fail($"{what}: chunk index {layout.Index} is not supported");
        }
    }

    /// <summary>
    /// v1 B-tree of type 1 (III.A.1): each key is the chunk's stored size, filter mask and element
    /// offsets in each dimension plus a zero for the element size; each child a chunk address.
    /// </summary>
    static void WalkBTreeV1(Hdf5Source source, long address, ChunkGrid grid, string what, Action<ChunkRecord> chunk)
    {
        int rank = grid.Rank;
        BTreeV1.Walk(source, address, nodeType: 1, keySize: 4 + 4 + 8 * (rank + 1), what, (key, child) =>
        {
            long size = key.U32();
            uint mask = key.U32();
            var scaled = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long offset = key.Count(8, "chunk offset");
                if (offset % grid.ChunkDims[i] != 0) throw source.Fail($"{what}: chunk offset {offset} is not a multiple of the chunk size {grid.ChunkDims[i]}");
                scaled[i] = offset / grid.ChunkDims[i];
            }
            if (key.U64() != 0) throw source.Fail($"{what}: a chunk key's element offset is not zero");
            chunk(new ChunkRecord(scaled, child, size, mask));
        });
    }

    /// <summary>Implicit index: unfiltered chunks of the whole maximum grid stored one after another from the address.</summary>
    static void WalkImplicit(Hdf5Source source, long address, ChunkGrid grid, bool filtered, string what, Action<ChunkRecord> chunk)
    {
        if (filtered) throw source.Fail($"{what}: an implicit chunk index cannot hold filtered chunks");
        if (grid.MaxChunks.Contains(-1)) throw source.Fail($"{what}: an implicit chunk index needs fixed maximum dimensions");
        source.CheckRange(address, checked(grid.MaxChunkCount * grid.ChunkBytes), $"{what}: implicitly indexed chunks");
        var scaled = new long[grid.Rank];
        long count = grid.Chunks.Aggregate(1L, (a, b) => checked(a * b));
        for (long n = 0; n < count; n++)
        {
            long index = 0;
            for (int i = 0; i < grid.Rank; i++) index = index * grid.MaxChunks[i] + scaled[i];
            chunk(new ChunkRecord((long[])scaled.Clone(), address + index * grid.ChunkBytes, grid.ChunkBytes, 0));
            for (int i = grid.Rank - 1; i >= 0 && ++scaled[i] == grid.Chunks[i]; i--) scaled[i] = 0;
        }
    }

    /// <summary>
    /// v2 B-tree of type 10 (address, scaled offsets of 8 bytes) or 11 (address, stored size, filter
    /// mask, scaled offsets) (III.A.2).
    /// </summary>
    static void WalkBTreeV2(Hdf5Source source, long address, ChunkGrid grid, bool filtered, string what, Action<ChunkRecord> chunk)
    {
        int sizeLength = ChunkSizeLength(grid);
        BTreeV2.Walk(source, address, filtered ? 11 : 10, what, record =>
        {
            long chunkAddress = record.Address();
            long size = filtered ? record.Count(sizeLength, "chunk size") : grid.ChunkBytes;
            uint mask = filtered ? record.U32() : 0;
            var scaled = new long[grid.Rank];
            for (int i = 0; i < grid.Rank; i++) scaled[i] = record.Count(8, "scaled chunk offset");
            if (record.Remaining != 0) throw source.Fail($"{what}: chunk index records are {record.Bytes.Length} bytes, expected {record.Position}");
            chunk(new ChunkRecord(scaled, chunkAddress, size, mask));
        });
    }

    /// <summary>Bytes of a fixed or extensible array element: an address, with stored size and filter mask when filtered.</summary>
    static int ElementSize(Hdf5Source source, ChunkGrid grid, bool filtered) =>
        filtered ? source.OffsetSize + ChunkSizeLength(grid) + 4 : source.OffsetSize;

    /// <summary>
    /// Bytes that hold a filtered chunk's stored size: one more than a chunk's size needs, at most 8
    /// (a filter may make a chunk slightly larger than it was).
    /// </summary>
    static int ChunkSizeLength(ChunkGrid grid) => Math.Min(8, 1 + (BitOperations.Log2((ulong)grid.ChunkBytes) + 8) / 8);

    /// <summary>Passes on an array element's chunk; an undefined address is a chunk never written.</summary>
    static void Element(FieldReader element, long[] scaled, ChunkGrid grid, bool filtered, Action<ChunkRecord> chunk)
    {
        long address = element.Address();
        long size = filtered ? element.Count(ChunkSizeLength(grid), "chunk size") : grid.ChunkBytes;
        uint mask = filtered ? element.U32() : 0;
        if (address != FieldReader.Undefined) chunk(new ChunkRecord(scaled, address, size, mask));
    }

    /// <summary>
    /// The chunk position of a fixed or extensible array element: its index counts chunks in row-major
    /// order of the maximum grid, with the unlimited dimension (if any) moved first (H5VM "swizzled" order).
    /// </summary>
    static long[] ByIndex(ChunkGrid grid, long index, int unlimited)
    {
        int rank = grid.Rank;
        var order = Enumerable.Range(0, rank).ToList();
        if (unlimited > 0)
        {
            order.Remove(unlimited);
            order.Insert(0, unlimited);
        }
        var scaled = new long[rank];
        for (int k = rank - 1; k >= 0; k--)
        {
            int dim = order[k];
            if (k == 0)
            {
                scaled[dim] = index;
                break;
            }
            long count = grid.MaxChunks[dim];
            scaled[dim] = index % count;
            index /= count;
        }
        return scaled;
    }
}
