using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Imaging;

/// <summary>The NumPy element types SegSam reads and writes.</summary>
public sealed record NpyDType(string Name, string Descr, int Size, ScalarType TorchType)
{
    public static readonly NpyDType Bool = new("bool", "|b1", 1, ScalarType.Bool);
    public static readonly NpyDType UInt8 = new("uint8", "|u1", 1, ScalarType.Byte);
    public static readonly NpyDType Int8 = new("int8", "|i1", 1, ScalarType.Int8);
    public static readonly NpyDType Int16 = new("int16", "<i2", 2, ScalarType.Int16);
    public static readonly NpyDType Int32 = new("int32", "<i4", 4, ScalarType.Int32);
    public static readonly NpyDType Int64 = new("int64", "<i8", 8, ScalarType.Int64);
    public static readonly NpyDType Float16 = new("float16", "<f2", 2, ScalarType.Float16);
    public static readonly NpyDType Float32 = new("float32", "<f4", 4, ScalarType.Float32);
    public static readonly NpyDType Float64 = new("float64", "<f8", 8, ScalarType.Float64);
    // No torch equivalent: ToTensor widens it to int32.
    public static readonly NpyDType UInt16 = new("uint16", "<u2", 2, ScalarType.Int32);

    public static readonly IReadOnlyList<NpyDType> All = [Bool, UInt8, Int8, Int16, Int32, Int64, Float16, Float32, Float64, UInt16];

    public static NpyDType? FromDescr(string descr)
    {
        // '=' and '<' both mean little-endian on the machines we run on; one-byte types use '|'.
        string normalised = descr.Length == 3 && descr[0] == '=' ? "<" + descr[1..] : descr;
        if (normalised.Length == 3 && normalised[2] == '1' && normalised[0] == '<') normalised = "|" + normalised[1..];
        return All.FirstOrDefault(d => d.Descr == normalised);
    }

    public static NpyDType FromTorch(ScalarType type) => All.FirstOrDefault(d => d.TorchType == type)
        ?? throw new NotSupportedException($"no .npy type for tensor dtype {type}");

    public static NpyDType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(bool) => Bool,
        var t when t == typeof(byte) => UInt8,
        var t when t == typeof(sbyte) => Int8,
        var t when t == typeof(short) => Int16,
        var t when t == typeof(ushort) => UInt16,
        var t when t == typeof(int) => Int32,
        var t when t == typeof(long) => Int64,
        var t when t == typeof(Half) => Float16,
        var t when t == typeof(float) => Float32,
        var t when t == typeof(double) => Float64,
        _ => throw new NotSupportedException($"no .npy type for {typeof(T).Name}"),
    };
}
