using System.Numerics;
using SegSam.Imaging;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// Reads one dataset's values into an array in C order, little-endian, of its own element type.
/// Everything is checked before the array is allocated: the type is one SegSam holds, the byte
/// size fits in one array, compact data is the right size, contiguous data lies inside the file,
/// the filters can be undone. Storage never written (no address, missing chunks) reads as the
/// fill value, as the HDF5 library reads it.
/// </summary>
internal static class DatasetReader
{
    const string Supported = "float16/32/64, int8/16/32/64, uint8/16";

    public static NpyArray Read(Hdf5Tree tree, ObjectHeader header, string name)
    {
        var source = tree.Source;
        string what = $"dataset '{name}'";
        var type = ElementType.Parse(source, tree.Body(header, MessageType.Datatype, what)!, what);
        var space = Dataspace.Parse(source, tree.Body(header, MessageType.Dataspace, what)!, what);
        if (type.Output is not { } output) throw source.Fail($"{what} has unsupported type {type} (supported: {Supported})");
        if (header.Find(MessageType.ExternalFiles) is { } external) throw source.Fail($"{what} {ExternalFiles(source, external, what)}");
        var dims = space.Dims;
        var bytes = dims.Aggregate(new BigInteger(type.Size), (a, b) => a * b);
        if (bytes > Array.MaxLength)
            throw source.Fail($"{what} is too large: {Hdf5Text.Shape(dims)} {type.Name} = {(double)bytes:0.###e0} bytes (one array holds at most {Array.MaxLength})");
        long length = (long)bytes;

        var layoutBody = tree.Body(header, MessageType.Layout, what) ?? throw source.Fail($"{what} has no data layout message");
        var layout = DataLayout.Parse(source, layoutBody, dims.Length, type.Size, what);
        var filters = tree.Body(header, MessageType.FilterPipeline, what) is { } pipeline
            ? FilterPipeline.Parse(source, pipeline, what) : FilterPipeline.None;
        var fill = FillValue.Read(source, header, type.Size, what);

        byte[] data;
        switch (layout.Kind)
        {
            case StorageKind.Compact:
                if (layout.CompactData.Length != length)
                    throw source.Fail($"{what}: compact storage holds {layout.CompactData.Length} bytes, the dataset needs {length}");
                data = layout.CompactData;
                break;
            case StorageKind.Contiguous:
                data = ReadContiguous(source, layout, length, fill, filters, what);
                break;
            default:
                data = ReadChunked(source, layout, space, type.Size, length, fill, filters, what);
                break;
        }
        if (type.BigEndian) SwapBytes(data, type.Size);
        return new NpyArray(output, dims, data);
    }

    /// <summary>External file list message (IV.A.2.h): names of the raw files that hold the data, which are never opened.</summary>
    static string ExternalFiles(Hdf5Source source, HeaderMessage message, string what)
    {
        const string refusal = "keeps its data in external files, which are not read";
        try
        {
            var fields = new FieldReader(source, message.Body, $"{what}: external file list");
            fields.Skip(4); // version, reserved
            fields.U16(); // allocated slots
            int used = fields.U16();
            var heap = LocalHeap.Read(source, fields.Address(), what);
            var names = new List<string>();
            for (int i = 0; i < Math.Min(used, 16); i++)
            {
                names.Add($"'{heap.String(fields.Length("name offset"))}'");
                fields.Unsigned(source.LengthSize); // offset in the file
                fields.Unsigned(source.LengthSize); // size, all ones when unlimited
            }
            return $"{refusal} ({string.Join(", ", names)})";
        }
        catch (InvalidDataException e)
        {
            return $"{refusal} (their names cannot be read: {e.Message})";
        }
    }

    static byte[] ReadContiguous(Hdf5Source source, DataLayout layout, long length, byte[]? fill, FilterPipeline filters, string what)
    {
        if (!filters.IsEmpty) throw source.Fail($"{what}: contiguous storage with filters ({filters}) is not valid");
        if (layout.Address == FieldReader.Undefined) return Filled(length, fill);
        if (layout.ContiguousSize >= 0 && layout.ContiguousSize < length)
            throw source.Fail($"{what}: contiguous storage of {layout.ContiguousSize} bytes, the dataset needs {length}");
        source.CheckRange(layout.Address, length, $"{what}: data");
        var data = new byte[length];
        source.ReadInto(layout.Address, data, $"{what}: data");
        return data;
    }

    static byte[] ReadChunked(Hdf5Source source, DataLayout layout, Dataspace space, int elementSize, long length, byte[]? fill,
        FilterPipeline filters, string what)
    {
        filters.CheckSupported(source, what);
        var grid = new ChunkGrid(space.Dims, space.MaxDims, layout.ChunkDims, elementSize);
        if (grid.ChunkBytes > Array.MaxLength)
            throw source.Fail($"{what}: chunks of {Hdf5Text.Shape(layout.ChunkDims)} elements ({grid.ChunkBytes} bytes) are too large");
        var data = Filled(length, fill);
        var seen = new HashSet<long>();
        ChunkIndex.Walk(source, layout, grid, !filters.IsEmpty, what, chunk =>
        {
            source.Step(what);
            long index = 0;
            for (int i = 0; i < grid.Rank; i++)
            {
                // Chunks beyond the current extent (left by a dataset that shrank) hold nothing visible.
                if (chunk.Scaled[i] >= grid.Chunks[i]) return;
                index = index * grid.Chunks[i] + chunk.Scaled[i];
            }
            string where = $"{what}: chunk at ({string.Join(", ", chunk.Scaled.Select((s, i) => s * grid.ChunkDims[i]))})";
            if (!seen.Add(index)) throw source.Fail($"{where} is stored twice");
            bool unfiltered = filters.IsEmpty || layout.EdgeChunksUnfiltered && IsPartial(grid, chunk.Scaled);
            byte[] values;
            if (unfiltered)
            {
                if (chunk.Size != grid.ChunkBytes) throw source.Fail($"{where} is stored in {chunk.Size} bytes, expected {grid.ChunkBytes}");
                values = source.Read(chunk.Address, chunk.Size, where);
            }
            else values = filters.Undo(source, source.Read(chunk.Address, chunk.Size, where), chunk.Mask, (int)grid.ChunkBytes, where);
            CopyChunk(grid, chunk.Scaled, values, data, elementSize);
        });
        return data;
    }

    static bool IsPartial(ChunkGrid grid, long[] scaled)
    {
        for (int i = 0; i < grid.Rank; i++)
            if ((scaled[i] + 1) * grid.ChunkDims[i] > grid.Dims[i]) return true;
        return false;
    }

    /// <summary>An array of <paramref name="length"/> bytes holding the fill value in every element (zeros by default).</summary>
    static byte[] Filled(long length, byte[]? fill)
    {
        var data = new byte[length];
        if (fill is not null)
            for (long at = 0; at + fill.Length <= length; at += fill.Length) fill.CopyTo(data, at);
        return data;
    }

    /// <summary>Copies the part of a chunk inside the dataset (edge chunks stick out) to its place in the C-order array.</summary>
    static void CopyChunk(ChunkGrid grid, long[] scaled, byte[] chunk, byte[] data, int elementSize)
    {
        int rank = grid.Rank;
        var origin = new long[rank];
        var extent = new long[rank];
        var chunkStride = new long[rank];
        var dataStride = new long[rank];
        long cs = elementSize, ds = elementSize;
        for (int i = rank - 1; i >= 0; i--)
        {
            origin[i] = scaled[i] * grid.ChunkDims[i];
            extent[i] = Math.Min(grid.ChunkDims[i], grid.Dims[i] - origin[i]);
            chunkStride[i] = cs;
            dataStride[i] = ds;
            cs *= grid.ChunkDims[i];
            ds *= grid.Dims[i];
        }
        int rowBytes = (int)(extent[rank - 1] * elementSize);
        var position = new long[rank];
        while (true)
        {
            long from = 0, to = 0;
            for (int i = 0; i < rank; i++)
            {
                from += position[i] * chunkStride[i];
                to += (origin[i] + position[i]) * dataStride[i];
            }
            Array.Copy(chunk, from, data, to, rowBytes);
            int d = rank - 2;
            for (; d >= 0 && ++position[d] == extent[d]; d--) position[d] = 0;
            if (d < 0) return;
        }
    }

    static void SwapBytes(byte[] data, int size)
    {
        if (size == 1) return;
        for (int at = 0; at + size <= data.Length; at += size) data.AsSpan(at, size).Reverse();
    }
}
