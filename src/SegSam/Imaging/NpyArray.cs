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
            throw new ArgumentException($"data holds {data.LongLength} bytes, shape {Shapes.Format(shape)} of {dtype.Name} needs {count * dtype.Size}");
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
