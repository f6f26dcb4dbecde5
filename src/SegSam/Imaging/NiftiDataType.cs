using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace SegSam.Imaging;

/// <summary>
/// A NIfTI voxel datatype (the header's datatype code) and the conversions between its
/// on-disk bytes and the float32 values of a <see cref="Volume"/>.
/// </summary>
internal sealed record NiftiDataType(short Code, string Name, int Size, bool IsInteger, double Min, double Max)
{
    public static readonly IReadOnlyList<NiftiDataType> All =
    [
        new(2, "uint8", 1, true, byte.MinValue, byte.MaxValue),
        new(4, "int16", 2, true, short.MinValue, short.MaxValue),
        new(8, "int32", 4, true, int.MinValue, int.MaxValue),
        new(16, "float32", 4, false, float.MinValue, float.MaxValue),
        new(64, "float64", 8, false, double.MinValue, double.MaxValue),
        new(256, "int8", 1, true, sbyte.MinValue, sbyte.MaxValue),
        new(512, "uint16", 2, true, ushort.MinValue, ushort.MaxValue),
        new(768, "uint32", 4, true, uint.MinValue, uint.MaxValue),
        new(1024, "int64", 8, true, long.MinValue, long.MaxValue),
        new(1280, "uint64", 8, true, ulong.MinValue, ulong.MaxValue),
    ];

    /// <summary>Datatype codes of the standard that have no scalar float32 meaning here.</summary>
    static readonly Dictionary<int, string> Unsupported = new()
    {
        [1] = "binary (1 bit)", [32] = "complex64", [128] = "RGB24", [1536] = "float128",
        [1792] = "complex128", [2048] = "complex256", [2304] = "RGBA32",
    };

    public static string SupportedNames => string.Join(", ", All.Select(t => t.Name));

    public static NiftiDataType? FromCode(int code) => All.FirstOrDefault(t => t.Code == code);

    public static NiftiDataType? FromName(string name) => All.FirstOrDefault(t => t.Name == name);

    public static string Describe(int code) =>
        Unsupported.TryGetValue(code, out var name) ? $"{code} ({name})" : $"{code} (not a NIfTI datatype)";

    /// <summary>
    /// Converts raw voxels to float32, applying value·slope + inter in float64 when
    /// <paramref name="scaled"/> (as nibabel's get_fdata does before a float32 cast).
    /// Big-endian input is byte-swapped in place.
    /// </summary>
    public void Decode(Span<byte> raw, bool bigEndian, bool scaled, double slope, double inter, float[] destination)
    {
        if (bigEndian != !BitConverter.IsLittleEndian && Size > 1)
            for (int i = 0; i < raw.Length; i += Size) raw.Slice(i, Size).Reverse();
        switch (Code)
        {
            case 2: Convert<byte>(raw, scaled, slope, inter, destination); break;
            case 256: Convert<sbyte>(raw, scaled, slope, inter, destination); break;
            case 4: Convert<short>(raw, scaled, slope, inter, destination); break;
            case 512: Convert<ushort>(raw, scaled, slope, inter, destination); break;
            case 8: Convert<int>(raw, scaled, slope, inter, destination); break;
            case 768: Convert<uint>(raw, scaled, slope, inter, destination); break;
            case 1024: Convert<long>(raw, scaled, slope, inter, destination); break;
            case 1280: Convert<ulong>(raw, scaled, slope, inter, destination); break;
            case 16: Convert<float>(raw, scaled, slope, inter, destination); break;
            case 64: Convert<double>(raw, scaled, slope, inter, destination); break;
            default: throw new InvalidOperationException($"no decoder for {Name}");
        }
    }

    static void Convert<T>(ReadOnlySpan<byte> raw, bool scaled, double slope, double inter, float[] destination)
        where T : unmanaged, INumberBase<T>
    {
        var values = MemoryMarshal.Cast<byte, T>(raw);
        if (scaled)
            for (int i = 0; i < values.Length; i++) destination[i] = (float)(double.CreateTruncating(values[i]) * slope + inter);
        else
            for (int i = 0; i < values.Length; i++) destination[i] = (float)double.CreateTruncating(values[i]);
    }

    /// <summary>
    /// Throws unless every value is representable in this type: integer types need whole numbers
    /// within range (NaN never is); the count and the first offender are reported.
    /// </summary>
    public void CheckRepresentable(float[] values, string target)
    {
        if (!IsInteger) return;
        int bad = 0, first = -1;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            // Max + 1 is exact in double for every type (2^8 … 2^64), so '<' avoids the rounding of 2^63 − 1.
            if (v == MathF.Round(v) && v >= Min && v < Max + 1) continue;
            if (bad++ == 0) first = i;
        }
        if (bad > 0)
            throw new ArgumentException(
                $"{target}: {bad} voxel(s) cannot be stored exactly as {Name} (whole numbers {Min}…{Max}); the first, at index {first}, is {values[first]}");
    }

    /// <summary>Writes <paramref name="values"/> in this type, little-endian; call <see cref="CheckRepresentable"/> first.</summary>
    public void Encode(float[] values, Stream output)
    {
        var buffer = new byte[8192 * Size];
        for (int start = 0; start < values.Length; start += 8192)
        {
            int count = Math.Min(8192, values.Length - start);
            for (int i = 0; i < count; i++) Put(buffer.AsSpan(i * Size, Size), values[start + i]);
            output.Write(buffer, 0, count * Size);
        }
    }

    void Put(Span<byte> slot, float v)
    {
        switch (Code)
        {
            case 2: slot[0] = (byte)v; break;
            case 256: slot[0] = (byte)(sbyte)v; break;
            case 4: BinaryPrimitives.WriteInt16LittleEndian(slot, (short)v); break;
            case 512: BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)v); break;
            case 8: BinaryPrimitives.WriteInt32LittleEndian(slot, (int)v); break;
            case 768: BinaryPrimitives.WriteUInt32LittleEndian(slot, (uint)v); break;
            case 1024: BinaryPrimitives.WriteInt64LittleEndian(slot, (long)v); break;
            case 1280: BinaryPrimitives.WriteUInt64LittleEndian(slot, (ulong)v); break;
            case 16: BinaryPrimitives.WriteSingleLittleEndian(slot, v); break;
            case 64: BinaryPrimitives.WriteDoubleLittleEndian(slot, v); break;
            default: throw new InvalidOperationException($"no encoder for {Name}");
        }
    }
}
