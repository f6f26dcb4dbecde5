using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// Multi-head self-attention of a CLIP residual block (torch.nn.MultiheadAttention as CLIP uses
/// it: one fused q/k/v projection W → 3W with bias, the heads, an output projection W → W, and an
/// optional additive mask). B×L×W (batch first; the reference runs L×B×W, which computes the
/// same) → B×L×W.
/// <para>
/// The fused projection is a Linear named <c>in_proj</c> (state_dict <c>attn.in_proj.weight</c>
/// and <c>.bias</c>, where the reference has <c>attn.in_proj_weight</c> and
/// <c>attn.in_proj_bias</c>; <see cref="ClipNames"/> translates), so that LoRA on q and v wraps
/// it with <see cref="LoraQkvLinear"/> (<see cref="AddLora"/>).
/// </para>
/// </summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    // A Linear, or the LoraQkvLinear that replaces it under the same name (AddLora).
    nn.Module<Tensor, Tensor> in_proj;
    readonly Linear out_proj;

    public long Width { get; }
    public long Heads { get; }

    public ClipAttention(long width, long heads) : base(nameof(ClipAttention))
    {
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"the number of heads ({heads}) must divide the width ({width})");
        Width = width;
        Heads = heads;
        var fused = nn.Linear(width, 3 * width);
        out_proj = nn.Linear(width, width);
        // nn.MultiheadAttention's initialisation: Xavier-uniform packed weight, zero biases.
        using (no_grad())
        {
            nn.init.xavier_uniform_(fused.weight!);
            nn.init.zeros_(fused.bias!);
            nn.init.zeros_(out_proj.bias!);
        }
        in_proj = fused;
        RegisterComponents();
    }

    /// <summary>The fused W → 3W projection while it is a plain Linear (null once LoRA wraps it).</summary>
    internal Linear? InProjection => in_proj as Linear;

    /// <summary>The output projection.</summary>
    internal Linear OutProjection => out_proj;

    /// <summary>The LoRA wrapper of the fused projection, or null while it is a plain Linear.</summary>
    public LoraQkvLinear? Lora => in_proj as LoraQkvLinear;

    /// <summary>
    /// Replaces the fused projection by a <see cref="LoraQkvLinear"/> around its (now frozen)
    /// weight and bias, registered under the same name so that the weights keep their names; the
    /// factors are <c>in_proj.linear_{a,b}_{q,v}.weight</c>.
    /// </summary>
    /// <param name="alpha">LoRA alpha; null = rank (scale 1: PG-SAM adds B·A·x unscaled).</param>
    public LoraQkvLinear AddLora(int rank, double? alpha = null)
    {
        var lora = LoraQkvLinear.Wrap(this, "in_proj", in_proj, rank, alpha);
        in_proj = lora;
        return lora;
    }

    /// <param name="x">B×L×W tokens.</param>
    /// <param name="mask">Optional L×L additive mask (−∞ where a token must not look), in x's dtype.</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        if (x.dim() != 3 || x.shape[2] != Width)
            throw new ArgumentException($"CLIP attention expects B×L×{Width} tokens, got {Shapes.Format(x.shape)}");
        long b = x.shape[0], l = x.shape[1];
        if (mask is not null && (mask.dim() != 2 || mask.shape[0] != l || mask.shape[1] != l))
            throw new ArgumentException($"the attention mask must be {l}×{l} for {l} tokens, got {Shapes.Format(mask.shape)}");
        using var scope = NewDisposeScope();
        var qkv = in_proj.forward(x)                                   // B×L×3W
            .reshape(b, l, 3, Heads, Width / Heads).permute(2, 0, 3, 1, 4); // 3×B×heads×L×d
        // softmax(q·kᵀ/√d + mask)·v per head, in one kernel.
        var attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask); // B×heads×L×d
        var merged = attended.transpose(1, 2).reshape(b, l, Width);
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
