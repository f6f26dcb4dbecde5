using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>Copies raw little-endian element bytes between streams and contiguous CPU tensors.</summary>
internal static class TensorBytes
{
    // Tensor.bytes exposes a Span, which is int-indexed; copying in bounded chunks keeps
    // storages larger than 2 GiB working and the per-call span small.
    private const long ChunkBytes = 1L << 26;

    /// <summary>Creates a 1-D tensor of <paramref name="numel"/> elements read from <paramref name="stream"/>.</summary>
    /// <param name="swapBytes">Reverse each element's bytes (the data was written big-endian).</param>
    public static Tensor ReadFlat(Stream stream, ScalarType dtype, long numel, bool swapBytes = false)
    {
        var flat = torch.empty(numel, dtype);
        try
        {
            Fill(flat, stream, swapBytes);
            return flat;
        }
        catch
        {
            flat.Dispose();
            throw;
        }
    }

    /// <summary>Overwrites the elements of a contiguous CPU tensor with bytes read from <paramref name="stream"/>.</summary>
    public static void Fill(Tensor target, Stream stream, bool swapBytes = false)
    {
        long numel = target.numel();
        if (numel == 0) return;
        int elem = (int)target.element_size();
        long perChunk = Math.Max(1, ChunkBytes / elem);
        using var flat = target.view(-1);
        for (long start = 0; start < numel; start += perChunk)
        {
            long count = Math.Min(perChunk, numel - start);
            using var part = flat.narrow(0, start, count);
            Span<byte> span = part.bytes;
            stream.ReadExactly(span);
            if (swapBytes) SwapInPlace(span, elem);
        }
    }

    /// <summary>Writes a tensor's elements (row-major, little-endian) to <paramref name="stream"/>.</summary>
    public static void Write(Tensor tensor, Stream stream)
    {
        long numel = tensor.numel();
        if (numel == 0) return;
        using var scope = torch.NewDisposeScope();
        var flat = tensor.cpu().contiguous().view(-1);
        int elem = (int)flat.element_size();
        long perChunk = Math.Max(1, ChunkBytes / elem);
        for (long start = 0; start < numel; start += perChunk)
        {
            long count = Math.Min(perChunk, numel - start);
            var part = flat.narrow(0, start, count);
            stream.Write(part.bytes);
        }
    }

    private static void SwapInPlace(Span<byte> span, int elementSize)
    {
        switch (elementSize)
        {
            case 1: break;
            case 2:
                var s16 = MemoryMarshal.Cast<byte, ushort>(span);
                BinaryPrimitives.ReverseEndianness(s16, s16);
                break;
            case 4:
                var s32 = MemoryMarshal.Cast<byte, uint>(span);
                BinaryPrimitives.ReverseEndianness(s32, s32);
                break;
            case 8:
                var s64 = MemoryMarshal.Cast<byte, ulong>(span);
                BinaryPrimitives.ReverseEndianness(s64, s64);
                break;
            default:
                throw new NotSupportedException($"cannot byte-swap {elementSize}-byte elements");
        }
    }
}
