using System.Text;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A local heap (File Format Specification, III.D): the block of NUL-terminated strings that
/// holds an old-style group's link names and soft-link values, and the names of a dataset's
/// external files. The whole data segment is read once (it must lie inside the file).
/// </summary>
internal sealed class LocalHeap
{
    readonly Hdf5Source source;
    readonly byte[] data;
    readonly string what;

    LocalHeap(Hdf5Source source, byte[] data, string what)
    {
        this.source = source;
        this.data = data;
        this.what = what;
    }

    /// <summary>"HEAP", version 0, reserved, data segment size, free list offset, data segment address.</summary>
    public static LocalHeap Read(Hdf5Source source, long address, string what)
    {
        string heap = $"{what}: local heap at {address}";
        var fields = source.Fields(address, 8 + source.LengthSize * 2 + source.OffsetSize, heap);
        fields.Signature("HEAP");
        int version = fields.U8();
        if (version != 0) throw source.Fail($"{heap}: version {version} is not supported");
        fields.Skip(3);
        long size = fields.Length("data segment size");
        fields.Length("free list offset");
        long dataAddress = fields.Address();
        return new LocalHeap(source, source.Read(dataAddress, size, heap), heap);
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> in the data segment.</summary>
    public string String(long offset)
    {
        if (offset < 0 || offset >= data.Length) throw source.Fail($"{what}: name offset {offset} lies outside its {data.Length} bytes");
        int end = Array.IndexOf(data, (byte)0, (int)offset);
        if (end < 0) throw source.Fail($"{what}: the string at offset {offset} has no terminating NUL");
        return Encoding.UTF8.GetString(data, (int)offset, end - (int)offset);
    }
}
