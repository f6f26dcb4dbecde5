using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A chunked dataset's filters (the filter pipeline message, File Format Specification,
/// IV.A.2.l, versions 1 and 2) and their reversal on read: deflate (1), shuffle (2) and
/// fletcher32 (3), the checksum verified. Filters are undone last to first, skipping those a
/// chunk's filter mask says were not applied. Every step's output is bounded by the chunk's
/// size, so a deflate stream cannot inflate past it, and the result must be exactly that size.
/// Any other filter that a chunk needs is refused by name and id.
/// </summary>
internal sealed class FilterPipeline
{
    const int Deflate = 1, Shuffle = 2, Fletcher32 = 3;
    const int MaxFilters = 32;

    static readonly Dictionary<int, string> KnownNames = new()
    {
        [1] = "deflate", [2] = "shuffle", [3] = "fletcher32", [4] = "szip", [5] = "nbit", [6] = "scaleoffset",
        [32000] = "lzf", [32001] = "blosc", [32004] = "lz4", [32008] = "bitshuffle", [32013] = "zfp", [32015] = "zstd",
    };

    sealed record Filter(int Id, string Name, int Flags, uint[] Parameters);

    readonly List<Filter> filters;

    FilterPipeline(List<Filter> filters) => this.filters = filters;

    public static readonly FilterPipeline None = new([]);

    public bool IsEmpty => filters.Count == 0;

    public static FilterPipeline Parse(Hdf5Source source, byte[] body, string what)
    {
        var fields = new FieldReader(source, body, $"{what}: filter pipeline message");
        int version = fields.U8();
        if (version is not (1 or 2)) throw source.Fail($"{what}: filter pipeline message version {version} is not supported");
        int count = fields.U8();
        if (count > MaxFilters) throw source.Fail($"{what}: {count} filters (at most {MaxFilters} are allowed)");
        if (version == 1) fields.Skip(6);
        var filters = new List<Filter>(count);
        for (int i = 0; i < count; i++)
        {
            int id = fields.U16();
            // Version 2 omits the name length (and name) of the library's own filters, ids below 256.
            int nameLength = version == 1 || id >= 256 ? fields.U16() : 0;
            int flags = fields.U16();
            int parameterCount = fields.U16();
            string name = "";
            if (nameLength > 0)
            {
                var raw = fields.Span(version == 1 ? (nameLength + 7) / 8 * 8 : nameLength);
                int end = raw.IndexOf((byte)0);
                name = Encoding.ASCII.GetString(end < 0 ? raw : raw[..end]);
            }
            var parameters = new uint[parameterCount];
            for (int p = 0; p < parameterCount; p++) parameters[p] = fields.U32();
            if (version == 1 && parameterCount % 2 == 1) fields.Skip(4);
            filters.Add(new Filter(id, name, flags, parameters));
        }
        return new FilterPipeline(filters);
    }

    /// <summary>The filters as a user would name them: "deflate, shuffle".</summary>
    public override string ToString() => string.Join(", ", filters.Select(Describe));

    static string Describe(Filter filter) =>
        KnownNames.TryGetValue(filter.Id, out var known) ? known : filter.Name.Length > 0 ? $"'{filter.Name}' (id {filter.Id})" : $"id {filter.Id}";

    /// <summary>
    /// Throws unless every filter is one this reader can undo, checked before any chunk is read. An
    /// unknown filter flagged optional (flags bit 0) may have been skipped when each chunk was
    /// written, which the chunk's filter mask records, so it is refused only by a chunk that needs it.
    /// </summary>
    public void CheckSupported(Hdf5Source source, string what)
    {
        foreach (var filter in filters)
            if (filter.Id is not (Deflate or Shuffle or Fletcher32) && (filter.Flags & 0x01) == 0)
                throw source.Fail($"{what} uses the filter {Describe(filter)}, which is not supported (supported: deflate, shuffle, fletcher32)");
    }

    /// <summary>
    /// The <paramref name="chunkSize"/> bytes of a chunk from its <paramref name="stored"/> bytes:
    /// filters undone from last to first, skipping those whose bit in <paramref name="mask"/> is set.
    /// </summary>
    public byte[] Undo(Hdf5Source source, byte[] stored, uint mask, int chunkSize, string what)
    {
        var data = stored;
        int length = stored.Length;
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            if (i < 32 && (mask & (1u << i)) != 0) continue;
            var filter = filters[i];
            switch (filter.Id)
            {
                case Fletcher32:
                    length = CheckFletcher32(source, data, length, what);
                    break;
                case Deflate:
                    (data, length) = Inflate(source, data, length, chunkSize, what);
                    break;
                case Shuffle:
                    int elementSize = filter.Parameters.Length > 0 ? (int)Math.Min(filter.Parameters[0], int.MaxValue) : 1;
                    data = Unshuffle(data, length, elementSize);
                    break;
                default:
                    throw source.Fail($"{what} needs the filter {Describe(filter)}, which is not supported");
            }
            if (length > chunkSize && filter.Id != Fletcher32)
                throw source.Fail($"{what}: filter {Describe(filter)} gives {length} bytes, more than the chunk's {chunkSize}");
        }
        if (length != chunkSize)
            throw source.Fail($"{what}: the chunk holds {length} bytes after its filters, expected {chunkSize}");
        if (data.Length != length) Array.Resize(ref data, length);
        return data;
    }

    /// <summary>
    /// Fletcher32 (H5Z fletcher32): the last 4 bytes are the checksum of the others, as HDF5 stores
    /// it (little-endian), or byte-swapped within each half as HDF5 before 1.6.3 wrote it.
    /// </summary>
    static int CheckFletcher32(Hdf5Source source, byte[] data, int length, string what)
    {
        if (length < 4) throw source.Fail($"{what}: a fletcher32 chunk of {length} bytes cannot hold its checksum");
        int dataLength = length - 4;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(dataLength));
        uint computed = Fletcher32Sum(data.AsSpan(0, dataLength));
        uint swapped = ((computed & 0x00FF00FF) << 8) | ((computed >> 8) & 0x00FF00FF);
        if (stored != computed && stored != swapped)
            throw source.Fail($"{what}: fletcher32 checksum mismatch (stored 0x{stored:x8}, computed 0x{computed:x8}): the data is corrupt");
        return dataLength;
    }

    /// <summary>
    /// HDF5's Fletcher-32: 16-bit words taken big-endian (an odd last byte as the high byte), both
    /// sums folded to 16 bits every 360 words and at the end; the result is sum2 &lt;&lt; 16 | sum1.
    /// </summary>
    static uint Fletcher32Sum(ReadOnlySpan<byte> data)
    {
        uint sum1 = 0, sum2 = 0;
        int words = data.Length / 2, at = 0;
        while (words > 0)
        {
            int block = Math.Min(words, 360);
            words -= block;
            for (int i = 0; i < block; i++, at += 2)
            {
                sum1 += (uint)(data[at] << 8 | data[at + 1]);
                sum2 += sum1;
            }
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        }
        if (data.Length % 2 == 1)
        {
            sum1 += (uint)data[^1] << 8;
            sum2 += sum1;
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        return sum2 << 16 | sum1;
    }

    /// <summary>
    /// Deflate (zlib format), stopping one byte past the chunk's size: reaching that byte means the
    /// stream inflates past the chunk. The buffer grows with what actually comes out, so a damaged
    /// chunk size costs nothing until the data is really there.
    /// </summary>
    static (byte[] Data, int Length) Inflate(Hdf5Source source, byte[] data, int length, int chunkSize, string what)
    {
        int limit = chunkSize < Array.MaxLength ? chunkSize + 1 : chunkSize;
        var output = new byte[Math.Min(limit, Math.Max(4096, 4L * length))];
        int total = 0;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(data, 0, length, writable: false), CompressionMode.Decompress);
            while (true)
            {
                if (total == output.Length)
                {
                    if (total == limit) break;
                    Array.Resize(ref output, (int)Math.Min(limit, 2L * output.Length));
                }
                int n = zlib.Read(output, total, output.Length - total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw source.Fail($"{what}: corrupt deflate data ({e.Message})");
        }
        if (total > chunkSize) throw source.Fail($"{what}: deflate data inflates past the chunk's {chunkSize} bytes");
        return (output, total);
    }

    /// <summary>Shuffle: byte j of element i was stored at j × count + i; trailing bytes that make no whole element stay put.</summary>
    static byte[] Unshuffle(byte[] data, int length, int elementSize)
    {
        if (elementSize <= 1 || length < elementSize) return data;
        int count = length / elementSize;
        var output = new byte[data.Length];
        for (int j = 0; j < elementSize; j++)
        {
            int from = j * count;
            for (int i = 0; i < count; i++) output[i * elementSize + j] = data[from + i];
        }
        Array.Copy(data, count * elementSize, output, count * elementSize, length - count * elementSize);
        return output;
    }
}
