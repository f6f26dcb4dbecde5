using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Imaging;

/// <summary>
/// An n-dimensional array as NumPy's .npy format holds it: element type, shape and the raw
/// little-endian bytes in C (row-major) order.
/// </summary>
public sealed class NpyArray
{
    public NpyDType DType { get; }
    public long[] Shape { get; }
    public byte[] Data { get; }
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);

    public NpyArray(NpyDType dtype, long[] shape, byte[] data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 0)) throw new ArgumentException("negative dimension in shape");
        if (data.LongLength != count * dtype.Size)
            throw new ArgumentException($"data holds {data.LongLength} bytes, shape {Modeling.Shapes.Format(shape)} of {dtype.Name} needs {count * dtype.Size}");
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    public static NpyArray From<T>(T[] values, params long[] shape) where T : unmanaged =>
        new(NpyDType.Of<T>(), shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>The values converted to float32 (any numeric type).</summary>
    public float[] ToFloat32()
    {
        if (DType == NpyDType.Float32) return MemoryMarshal.Cast<byte, float>(Data).ToArray();
        using var t = ToTensor();
        return TensorData.ToFloatArray(t);
    }

    /// <summary>A new CPU tensor holding a copy of the values with this array's dtype and shape.</summary>
    public Tensor ToTensor()
    {
        if (DType == NpyDType.UInt16)
        {
            var wide = MemoryMarshal.Cast<byte, ushort>(Data).ToArray().Select(v => (int)v).ToArray();
            return tensor(wide, dtype: ScalarType.Int32).reshape(Shape);
        }
        var result = empty(Shape, dtype: DType.TorchType);
        result.bytes = Data;
        return result;
    }

    /// <summary>Copies a tensor of any supported dtype (moved to CPU, made contiguous).</summary>
    public static NpyArray FromTensor(Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.detach().cpu().contiguous();
        var dtype = NpyDType.FromTorch(cpu.dtype);
        return new NpyArray(dtype, cpu.shape, cpu.bytes.ToArray());
    }
}

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
