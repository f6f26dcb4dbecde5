using TorchSharp.Modules;

namespace SegSam.Modeling.Clip;

/// <summary>
/// LoRA on q and v of every block of a CLIP tower, as PG-SAM tunes CLIP's text encoder (its
/// <c>LoRA_CLIP</c> wraps each text block's attention in <c>_LoRA_MHA</c>, rank 4, after freezing
/// the whole CLIP model). Each block's fused in-projection becomes a <see cref="LoraQkvLinear"/>
/// (A kaiming-uniform, B zero, so the output is unchanged until B is trained); the original
/// weights keep their names and the factors add <c>…attn.in_proj.linear_{a,b}_{q,v}.weight</c>.
/// <para>
/// PG-SAM's <c>_LoRA_MHA</c> leaves B at nn.Linear's default (random) initialisation, so its
/// text features change as soon as LoRA is applied; here B starts at zero, as in PG-SAM's LoRA
/// on the SAM encoder.
/// </para>
/// </summary>
public static class ClipLora
{
    /// <summary>PG-SAM's rank for CLIP's text blocks.</summary>
    public const int DefaultRank = 4;

    /// <summary>
    /// Freezes every parameter of <paramref name="text"/> (for a <see cref="ClipModel"/>: the whole
    /// model, image tower included, as PG-SAM does) and puts LoRA on q and v of every text block.
    /// Returns the LoRA parameters, the only ones left trainable.
    /// </summary>
    /// <param name="alpha">LoRA alpha; null = rank (scale 1, as PG-SAM).</param>
    public static IReadOnlyList<Parameter> Apply(ClipTextTower text, int rank = DefaultRank, double? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Apply(text, text.Transformer, rank, alpha);
    }

    /// <summary>The same for the image tower's blocks (every image-tower parameter frozen).</summary>
    public static IReadOnlyList<Parameter> Apply(ClipImageTower image, int rank = DefaultRank, double? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Apply(image, image.Transformer, rank, alpha);
    }

    static IReadOnlyList<Parameter> Apply(TorchSharp.torch.nn.Module owner, ClipTransformer transformer, int rank, double? alpha)
    {
        if (transformer.Blocks.Any(b => b.Attention.Lora is not null))
            throw new InvalidOperationException("LoRA is already applied to this CLIP tower");
        foreach (var p in owner.parameters()) p.requires_grad = false;
        return transformer.Blocks.SelectMany(b => b.Attention.AddLora(rank, alpha).LoraParameters()).ToList();
    }

    /// <summary>The LoRA parameters of a transformer's blocks (empty when none is applied).</summary>
    public static IReadOnlyList<Parameter> Parameters(ClipTransformer transformer) =>
        Wrappers(transformer).SelectMany(l => l.LoraParameters()).ToList();

    /// <summary>Folds every block's update into its in-projection weight (inference without extra matmuls).</summary>
    public static void Merge(ClipTransformer transformer)
    {
        foreach (var l in Wrappers(transformer)) l.Merge();
    }

    /// <summary>Undoes <see cref="Merge"/>.</summary>
    public static void Unmerge(ClipTransformer transformer)
    {
        foreach (var l in Wrappers(transformer)) l.Unmerge();
    }

    static IEnumerable<LoraQkvLinear> Wrappers(ClipTransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return transformer.Blocks.Select(b => b.Attention.Lora).OfType<LoraQkvLinear>();
    }
}
