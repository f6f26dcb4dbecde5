namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A dataset's element type from its datatype message (File Format Specification, IV.A.2.d):
/// fixed-point integers of 1, 2, 4 or 8 bytes and IEEE 754 floats of 2, 4 or 8 bytes, in either
/// byte order, using every bit of their size. Which of them SegSam's arrays can hold is decided
/// by <see cref="Output"/>; anything else is described by name so it can be refused clearly.
/// </summary>
internal sealed record ElementType(string Name, int Size, bool BigEndian, NpyDType? Output)
{
    const int FixedPoint = 0, FloatingPoint = 1;

    static readonly string[] ClassNames =
        ["fixed-point", "floating-point", "time", "string", "bitfield", "opaque", "compound", "reference", "enum", "variable-length", "array", "complex"];

    /// <summary>The IEEE 754 layouts (sign bit, exponent location and size, mantissa size, bias) for each size.</summary>
    static readonly Dictionary<int, (int Sign, int ExponentAt, int ExponentBits, int MantissaBits, uint Bias)> Ieee = new()
    {
        [2] = (15, 10, 5, 10, 15),
        [4] = (31, 23, 8, 23, 127),
        [8] = (63, 52, 11, 52, 1023),
    };

    public static ElementType Parse(Hdf5Source source, byte[] body, string what)
    {
        var fields = new FieldReader(source, body, $"{what}: datatype message");
        int classAndVersion = fields.U8();
        int typeClass = classAndVersion & 0x0F;
        int version = classAndVersion >> 4;
        int bits0 = fields.U8(), bits1 = fields.U8();
        fields.U8();
        long size = fields.U32();
        if (version is < 1 or > 5) throw source.Fail($"{what}: datatype message version {version} is not supported");
        if (typeClass == FixedPoint) return FixedPointType(fields, bits0, size);
        if (typeClass == FloatingPoint) return FloatType(fields, bits0, bits1, size);
        string name = typeClass < ClassNames.Length ? ClassNames[typeClass] : $"class {typeClass}";
        return new ElementType($"{name} of {size} bytes", (int)Math.Min(size, int.MaxValue), false, null);
    }

    /// <summary>Fixed-point (class 0): bit 0 byte order, bit 3 signed; properties bit offset and precision.</summary>
    static ElementType FixedPointType(FieldReader fields, int bits0, long size)
    {
        bool bigEndian = (bits0 & 0x01) != 0;
        bool signed = (bits0 & 0x08) != 0;
        int offset = fields.U16(), precision = fields.U16();
        string name = $"{(signed ? "int" : "uint")}{size * 8}";
        if (size is not (1 or 2 or 4 or 8)) return new ElementType($"{(signed ? "signed" : "unsigned")} integer of {size} bytes", (int)Math.Min(size, int.MaxValue), bigEndian, null);
        if (offset != 0 || precision != size * 8)
            return new ElementType($"{name} with {precision} significant bits at bit {offset}", (int)size, bigEndian, null);
        var output = (size, signed) switch
        {
            (1, false) => NpyDType.UInt8,
            (1, true) => NpyDType.Int8,
            (2, false) => NpyDType.UInt16,
            (2, true) => NpyDType.Int16,
            (4, true) => NpyDType.Int32,
            (8, true) => NpyDType.Int64,
            _ => null, // uint32 and uint64 have no SegSam array type
        };
        return new ElementType(name, (int)size, bigEndian, output);
    }

    /// <summary>
    /// Floating-point (class 1): byte order in bits 0 and 6 (both set is VAX order), mantissa
    /// normalisation in bits 4–5, sign location in bits 8–15; properties give the bit fields, which
    /// must be exactly IEEE 754's for the size.
    /// </summary>
    static ElementType FloatType(FieldReader fields, int bits0, int signLocation, long size)
    {
        bool low = (bits0 & 0x01) != 0, high = (bits0 & 0x40) != 0;
        int normalisation = (bits0 >> 4) & 0x03;
        int offset = fields.U16(), precision = fields.U16();
        int exponentAt = fields.U8(), exponentBits = fields.U8(), mantissaAt = fields.U8(), mantissaBits = fields.U8();
        uint bias = fields.U32();
        string name = $"float{size * 8}";
        if (high) return new ElementType($"{name} in VAX or unknown byte order", (int)Math.Min(size, int.MaxValue), false, null);
        if (!Ieee.TryGetValue((int)Math.Min(size, 16), out var ieee)
            || offset != 0 || precision != size * 8 || normalisation != 2 || signLocation != ieee.Sign
            || exponentAt != ieee.ExponentAt || exponentBits != ieee.ExponentBits
            || mantissaAt != 0 || mantissaBits != ieee.MantissaBits || bias != ieee.Bias)
            return new ElementType($"non-IEEE floating point of {size} bytes (sign bit {signLocation}, exponent {exponentBits} bits at {exponentAt}, " +
                $"mantissa {mantissaBits} bits at {mantissaAt}, bias {bias})", (int)Math.Min(size, int.MaxValue), low, null);
        var output = size switch { 2 => NpyDType.Float16, 4 => NpyDType.Float32, _ => NpyDType.Float64 };
        return new ElementType(name, (int)size, low, output);
    }

    public override string ToString() => BigEndian && Size > 1 ? $"{Name} (big-endian)" : Name;
}
