using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// How many prompts a batched decode takes at a time. The mask decoder's largest tensor is its
/// 4× upscaled image features, D/8 × 4g × 4g floats per prompt (8 MiB for ViT-B at 1024 input).
/// At 1024 input on a 2-core AMD EPYC (one thread) decoding 16 boxes at once cost 3× a single
/// prompt's decode per prompt (SAM) and 4.6× (SEG-SAM with SAWD): the batch's features (134 MB)
/// fall out of cache and, above glibc's 32 MiB mmap threshold, are mapped and page-faulted
/// afresh on every call; passes of two prompts were the fastest (1, 2, 4, 8, 16 tried).
/// </summary>
public static class DecodePasses
{
    /// <summary>Default bound on the largest per-pass tensor: 16 MiB.</summary>
    public const long DefaultBytes = 16L << 20;

    /// <summary>
    /// Prompts per pass so that the largest tensor of a pass, the decoder's upscaled features or
    /// the caller's largest per-prompt output (<paramref name="outputFloats"/>), stays within
    /// <paramref name="passBytes"/>. At least 1.
    /// </summary>
    public static long PromptsPerPass(SamConfig sam, long outputFloats, long passBytes)
    {
        if (passBytes < 1) throw new ArgumentOutOfRangeException(nameof(passBytes), "the pass bound must be positive");
        long side = 4L * sam.ImageEncoder.GridSize;
        long features = sam.PromptEncoder.EmbedDim / 8 * side * side;
        return Math.Max(1, passBytes / (Math.Max(features, outputFloats) * sizeof(float)));
    }

    /// <summary>
    /// The passes over <paramref name="batch"/> prompts: (first prompt, count). An empty batch is
    /// one empty pass, so that its outputs keep their shapes.
    /// </summary>
    public static IEnumerable<(long Start, long Count)> Ranges(long batch, long perPass)
    {
        if (perPass < 1) throw new ArgumentOutOfRangeException(nameof(perPass), "a pass takes at least one prompt");
        if (batch == 0) yield return (0, 0);
        for (long start = 0; start < batch; start += perPass) yield return (start, Math.Min(perPass, batch - start));
    }

    /// <summary>The passes' outputs joined along the prompt dimension (the one pass's as is).</summary>
    public static Tensor Join(IReadOnlyList<Tensor> parts) => parts.Count == 1 ? parts[0] : cat([.. parts], 0);
}
