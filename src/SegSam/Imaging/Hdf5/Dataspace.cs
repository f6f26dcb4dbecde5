namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A dataset's shape from its dataspace message (File Format Specification, IV.A.2.b): current
/// and maximum sizes of up to 32 dimensions (a maximum of all ones is unlimited). Scalar and null
/// dataspaces hold no array and are refused.
/// </summary>
internal sealed record Dataspace(long[] Dims, long[] MaxDims)
{
    /// <summary>A maximum size that can grow without bound (H5S_UNLIMITED).</summary>
    public const long Unlimited = -1;

    const int MaxRank = 32;

    public static Dataspace Parse(Hdf5Source source, byte[] body, string what)
    {
        var fields = new FieldReader(source, body, $"{what}: dataspace message");
        int version = fields.U8();
        int rank = fields.U8();
        int flags = fields.U8();
        int type;
        if (version == 1)
        {
            fields.Skip(5);
            type = rank == 0 ? 0 : 1;
        }
        else if (version == 2) type = fields.U8();
        else throw source.Fail($"{what}: dataspace message version {version} is not supported");
        if (type == 0) throw source.Fail($"{what} is a scalar (no dimensions); only arrays are read");
        if (type == 2) throw source.Fail($"{what} has a null dataspace (no elements)");
        if (type != 1 || rank is < 1 or > MaxRank) throw source.Fail($"{what}: dataspace of type {type} and rank {rank} is not valid");
        var dims = new long[rank];
        for (int i = 0; i < rank; i++) dims[i] = fields.Length("dimension size");
        var max = (long[])dims.Clone();
        if ((flags & 0x01) != 0)
        {
            for (int i = 0; i < rank; i++)
            {
                ulong value = fields.Unsigned(source.LengthSize);
                bool unlimited = value == (source.LengthSize == 8 ? ulong.MaxValue : (1UL << (source.LengthSize * 8)) - 1);
                max[i] = unlimited ? Unlimited : value <= long.MaxValue ? (long)value : throw source.Fail($"{what}: maximum size {value} is too large");
                if (max[i] != Unlimited && max[i] < dims[i])
                    throw source.Fail($"{what}: dimension {i} has size {dims[i]}, above its maximum {max[i]}");
            }
        }
        return new Dataspace(dims, max);
    }
}
