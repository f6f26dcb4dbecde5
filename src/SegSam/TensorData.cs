using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam;

/// <summary>Fast copies between tensors and managed arrays (one memcpy instead of per-element access).</summary>
internal static class TensorData
{
    /// <summary>The values of any tensor as float32, in row-major order.</summary>
    public static float[] ToFloatArray(Tensor t) => ToArray<float>(t, ScalarType.Float32);

    /// <summary>The values of any tensor as bytes (a boolean mask as 0/1), in row-major order.</summary>
    public static byte[] ToByteArray(Tensor t) => ToArray<byte>(t, ScalarType.Byte);

    static T[] ToArray<T>(Tensor t, ScalarType type) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        var cpu = t.detach().to(type, CPU).contiguous();
        var source = MemoryMarshal.Cast<byte, T>(cpu.bytes);
        // Span.ToArray zero-fills a fresh array first; for mask-sized outputs that doubles the cost.
        var result = GC.AllocateUninitializedArray<T>(source.Length);
        source.CopyTo(result);
        return result;
    }
}
