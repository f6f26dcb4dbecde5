using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam;

/// <summary>Fast copies between tensors and managed arrays (one memcpy instead of per-element access).</summary>
public static class TensorData
{
    /// <summary>The values of any tensor as float32, in row-major order.</summary>
    public static float[] ToFloatArray(Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.detach().to(ScalarType.Float32, CPU).contiguous();
        var source = MemoryMarshal.Cast<byte, float>(cpu.bytes);
        // Span.ToArray zero-fills a fresh array first; for mask-sized outputs that doubles the cost.
        var result = GC.AllocateUninitializedArray<float>(source.Length);
        source.CopyTo(result);
        return result;
    }
}
