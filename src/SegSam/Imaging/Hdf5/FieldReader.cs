using System.Buffers.Binary;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// Reads the fields of one block of HDF5 metadata in order. All metadata is little-endian
/// (File Format Specification, I.A); addresses and lengths take the superblock's "Size of
/// Offsets" and "Size of Lengths" bytes. A field that would run past the block's end fails
/// naming the block instead of reading someone else's bytes.
/// </summary>
internal sealed class FieldReader(Hdf5Source source, byte[] bytes, string what)
{
    /// <summary>The address value that means "no address" (all bits set, II.A).</summary>
    public const long Undefined = -1;

    public byte[] Bytes => bytes;
    public int Position { get; set; }
    public int Remaining => bytes.Length - Position;
    public string What => what;

    public byte U8() => Take(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>An unsigned little-endian integer of 1 to 8 bytes.</summary>
    public ulong Unsigned(int size)
    {
        if (size is < 0 or > 8) throw source.Fail($"{what}: a field of {size} bytes is not supported");
        var field = Take(size);
        ulong value = 0;
        for (int i = size - 1; i >= 0; i--) value = value << 8 | field[i];
        return value;
    }

    /// <summary>An unsigned field that must fit in a non-negative long, named in the error when not.</summary>
    public long Count(int size, string field)
    {
        ulong value = Unsigned(size);
        return value <= long.MaxValue ? (long)value : throw source.Fail($"{what}: {field} {value} is too large");
    }

    /// <summary>A file address, or <see cref="Undefined"/> when every bit is set.</summary>
    public long Address()
    {
        int size = source.OffsetSize;
        ulong value = Unsigned(size);
        if (value == (size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1)) return Undefined;
        return value <= long.MaxValue ? (long)value : throw source.Fail($"{what}: address {value} is too large");
    }

    /// <summary>A length field ("Size of Lengths" bytes).</summary>
    public long Length(string field) => Count(source.LengthSize, field);

    public ReadOnlySpan<byte> Span(int count) => Take(count);

    public byte[] Copy(int count) => Take(count).ToArray();

    public void Skip(int count) => Take(count);

    /// <summary>Checks a four-letter signature such as "TREE" or "OHDR".</summary>
    public void Signature(string signature)
    {
        var field = Take(4);
        for (int i = 0; i < 4; i++)
            if (field[i] != signature[i])
                throw source.Fail($"{what}: expected the signature '{signature}', found '{Printable(field)}'");
    }

    /// <summary>
    /// Checks the Jenkins lookup3 checksum stored right after the bytes from <paramref name="start"/>
    /// up to the current position, and moves past it.
    /// </summary>
    public void Checksum(int start = 0)
    {
        uint computed = Lookup3.Hash(bytes.AsSpan(start, Position - start));
        uint stored = U32();
        if (computed != stored)
            throw source.Fail($"{what}: checksum mismatch (stored 0x{stored:x8}, computed 0x{computed:x8}): the file is corrupt");
    }

    ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw source.Fail($"{what}: truncated (a field of {count} bytes at byte {Position} runs past its {bytes.Length} bytes)");
        var span = bytes.AsSpan(Position, count);
        Position += count;
        return span;
    }

    static string Printable(ReadOnlySpan<byte> field)
    {
        var chars = new char[field.Length];
        for (int i = 0; i < field.Length; i++) chars[i] = field[i] is >= 32 and < 127 ? (char)field[i] : '?';
        return new string(chars);
    }
}
