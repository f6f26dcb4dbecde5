using System.Buffers.Binary;

namespace SegSam.Imaging;

/// <summary>
/// A scalar voxel type as raw volume formats (MetaImage, NRRD) store it, and the conversion of
/// a stream of such samples, in either byte order, to float32.
/// </summary>
internal sealed class SampleType
{
    public string Name { get; }
    public int Size { get; }
    readonly Func<ReadOnlySpan<byte>, bool, float> decode;

    SampleType(string name, int size, Func<ReadOnlySpan<byte>, bool, float> decode)
    {
        Name = name;
        Size = size;
        this.decode = decode;
    }

    public static readonly SampleType UInt8 = new("uint8", 1, (b, _) => b[0]);
    public static readonly SampleType Int8 = new("int8", 1, (b, _) => (sbyte)b[0]);
    public static readonly SampleType Int16 = new("int16", 2, (b, big) =>
        big ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b));
    public static readonly SampleType UInt16 = new("uint16", 2, (b, big) =>
        big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b));
    public static readonly SampleType Int32 = new("int32", 4, (b, big) =>
        big ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b));
    public static readonly SampleType UInt32 = new("uint32", 4, (b, big) =>
        big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b));
    public static readonly SampleType Int64 = new("int64", 8, (b, big) =>
        big ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b));
    public static readonly SampleType UInt64 = new("uint64", 8, (b, big) =>
        big ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b));
    public static readonly SampleType Float32 = new("float32", 4, (b, big) =>
        big ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b));
    public static readonly SampleType Float64 = new("float64", 8, (b, big) =>
        (float)(big ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b)));

    /// <summary>
    /// Reads exactly <paramref name="count"/> samples from <paramref name="stream"/> as float32.
    /// With <paramref name="requireEnd"/> the stream must hold nothing more, so that a header
    /// describing the wrong size is caught rather than silently cropping the data. The stream can
    /// give at most <paramref name="available"/> bytes (the file's rest, or what its compressed
    /// bytes can inflate to), so a header asking for more fails before the samples are allocated.
    /// </summary>
    public float[] ReadAll(Stream stream, long count, bool bigEndian, bool requireEnd, long available, string source)
    {
        if (count > Array.MaxLength) throw new InvalidDataException($"{source}: {count} voxels are too many to load");
        if (count * Size > available)
            throw new InvalidDataException(
                $"{source}: data truncated: the image needs {count * Size} bytes ({count} {Name} samples), the file can hold at most {Math.Max(available, 0)}");
        var result = new float[count];
        // Blocks keep memory at one copy of the volume rather than the raw bytes plus the floats.
        var block = new byte[Size * 65536];
        long done = 0;
        int carried = 0;
        while (done < count)
        {
            int wanted = (int)Math.Min(block.Length, (count - done) * Size);
            int n = Guarded(() => stream.Read(block, carried, wanted - carried), source);
            if (n == 0)
                throw new InvalidDataException(
                    $"{source}: data truncated: {done * Size + carried} of {count * Size} bytes ({count} {Name} samples) present");
            int inBlock = carried + n;
            int whole = inBlock / Size;
            for (int i = 0; i < whole; i++) result[done + i] = decode(block.AsSpan(i * Size, Size), bigEndian);
            done += whole;
            carried = inBlock - whole * Size;
            if (carried > 0) Buffer.BlockCopy(block, whole * Size, block, 0, carried);
        }
        if (requireEnd && Guarded(stream.ReadByte, source) >= 0)
            throw new InvalidDataException($"{source}: data size mismatch: more than the {count * Size} bytes ({count} {Name} samples) the header describes");
        return result;
    }

    /// <summary>Reports a decompressor's complaint about its input as bad data of this file.</summary>
    static int Guarded(Func<int> read, string source)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: corrupt compressed data: {e.Message}", e);
        }
    }
}
