namespace SegSam.Imaging.Hdf5;

/// <summary>
/// The superblock (File Format Specification, II.A): where the file's structure starts. Found by
/// its signature at byte 0, 512, 1024, 2048, …; versions 0 and 1 end with the root group's
/// symbol table entry, versions 2 and 3 hold the root group's object header address and a
/// checksum. It sets the source's address base and field sizes, and gives the root group.
/// </summary>
internal sealed class Superblock
{
    static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    public int Version { get; private init; }

    /// <summary>Address of the root group's object header.</summary>
    public long RootAddress { get; private init; }

    public static Superblock Read(Hdf5Source source)
    {
        long at = Find(source);
        // Every address in the file is relative to where the superblock was found: the HDF5 library
        // itself replaces the stored base address by that position when they differ.
        source.BaseAddress = at;
        var head = source.Fields(0, Math.Min(source.Length - at, 256), "superblock");
        head.Skip(Signature.Length);
        int version = head.U8();
        var superblock = version switch
        {
            0 or 1 => ReadVersion0Or1(source, head, version),
            2 or 3 => ReadVersion2Or3(source, head, version),
            _ => throw source.Fail($"superblock version {version} is not supported (versions 0–3 are)"),
        };
        if (superblock.RootAddress == FieldReader.Undefined)
            throw source.Fail("superblock: the root group has no address");
        return superblock;
    }

    /// <summary>The absolute position of the signature: 0, 512, 1024, … (II.A).</summary>
    static long Find(Hdf5Source source)
    {
        for (long at = 0; at + Signature.Length <= source.Length; at = at == 0 ? 512 : at * 2)
        {
            var bytes = source.Read(at, Signature.Length, "superblock signature");
            if (bytes.AsSpan().SequenceEqual(Signature)) return at;
        }
        throw source.Fail("not a readable HDF5 file (no HDF5 signature at byte 0, 512, 1024, …)");
    }

    static Superblock ReadVersion0Or1(Hdf5Source source, FieldReader fields, int version)
    {
        fields.Skip(4); // free-space, root symbol table entry and shared header versions, reserved
        SetSizes(source, fields.U8(), fields.U8());
        fields.Skip(1 + 2 + 2 + 4); // reserved, group leaf/internal node K, file consistency flags
        if (version == 1) fields.Skip(4); // indexed storage internal node K, reserved
        fields.Address(); // stored base address: replaced by the superblock's position (see Read)
        fields.Address(); // free-space info (unused since 1.6)
        long endOfFile = fields.Address();
        fields.Address(); // driver information block
        // Root group symbol table entry (III.C): link name offset, then the object header address.
        fields.Address();
        long root = fields.Address();
        CheckEndOfFile(source, endOfFile);
        return new Superblock { Version = version, RootAddress = root };
    }

    static Superblock ReadVersion2Or3(Hdf5Source source, FieldReader fields, int version)
    {
        SetSizes(source, fields.U8(), fields.U8());
        fields.Skip(1); // file consistency flags
        fields.Address(); // base address (see Read)
        fields.Address(); // superblock extension: nothing in it changes how datasets are read here
        long endOfFile = fields.Address();
        long root = fields.Address();
        fields.Checksum();
        CheckEndOfFile(source, endOfFile);
        return new Superblock { Version = version, RootAddress = root };
    }

    static void SetSizes(Hdf5Source source, int offsets, int lengths)
    {
        if (offsets is not (2 or 4 or 8) || lengths is not (2 or 4 or 8))
            throw source.Fail($"superblock: size of offsets {offsets} / lengths {lengths} is not supported (2, 4 or 8 bytes)");
        source.OffsetSize = offsets;
        source.LengthSize = lengths;
    }

    /// <summary>
    /// A file shorter than the end-of-file address it records was cut off (the HDF5 library refuses
    /// it too). Unlike other addresses this one counts from the start of the file, user block included.
    /// </summary>
    static void CheckEndOfFile(Hdf5Source source, long endOfFile)
    {
        if (endOfFile != FieldReader.Undefined && endOfFile > source.Length)
            throw source.Fail($"truncated HDF5 file: {source.Length} bytes, but the superblock says it ends at byte {endOfFile}");
    }
}
