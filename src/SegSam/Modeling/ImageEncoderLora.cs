using TorchSharp.Modules;

namespace SegSam.Modeling;

/// <summary>
/// PG-SAM's encoder tuning: LoRA on q and v of every ViT block's fused qkv projection
/// (<see cref="LoraQkvLinear"/>), everything else in the encoder frozen. State-dict names of the
/// original weights are unchanged (the LoRA factors add <c>blocks.N.attn.qkv.linear_{a,b}_{q,v}.weight</c>),
/// so SAM checkpoints load before or after (non-strict after, as the factors are then extra).
/// </summary>
public static class ImageEncoderLora
{
    /// <summary>PG-SAM's rank (its LoRA_Sam builds rank 4 whatever r it is given).</summary>
    public const int DefaultRank = 4;

    /// <summary>
    /// Freezes every encoder parameter, then wraps each block's qkv; returns the LoRA parameters,
    /// the only encoder parameters that require gradients afterwards.
    /// </summary>
    /// <param name="alpha">LoRA alpha; null = rank (scale 1, as PG-SAM).</param>
    public static IReadOnlyList<Parameter> Apply(ImageEncoderViT encoder, int rank = DefaultRank, double? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder.Blocks.Any(b => b.Attention.Lora is not null))
            throw new InvalidOperationException("LoRA is already applied to this encoder");
        foreach (var p in encoder.parameters()) p.requires_grad = false;
        return encoder.Blocks.SelectMany(b => b.Attention.AddLora(rank, alpha).LoraParameters()).ToList();
    }

    /// <summary>The LoRA parameters of an encoder (empty when none is applied).</summary>
    public static IReadOnlyList<Parameter> Parameters(ImageEncoderViT encoder) =>
        Wrappers(encoder).SelectMany(l => l.LoraParameters()).ToList();

    /// <summary>Folds every block's update into its qkv weight (inference: no extra matmuls).</summary>
    public static void Merge(ImageEncoderViT encoder)
    {
        foreach (var l in Wrappers(encoder)) l.Merge();
    }

    /// <summary>Undoes <see cref="Merge"/>.</summary>
    public static void Unmerge(ImageEncoderViT encoder)
    {
        foreach (var l in Wrappers(encoder)) l.Unmerge();
    }

    static IEnumerable<LoraQkvLinear> Wrappers(ImageEncoderViT encoder) =>
        encoder.Blocks.Select(b => b.Attention.Lora).OfType<LoraQkvLinear>();
}
