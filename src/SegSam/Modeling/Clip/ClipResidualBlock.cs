using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's pre-norm residual block (the reference ResidualAttentionBlock):
/// x ← x + attn(ln_1(x), mask); x ← x + mlp(ln_2(x)). B×L×W → B×L×W. State-dict names
/// <c>ln_1.*</c>, <c>attn.*</c>, <c>ln_2.*</c>, <c>mlp.c_fc.*</c>, <c>mlp.c_proj.*</c>.
/// </summary>
public sealed class ClipResidualBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly ClipLayerNorm ln_1;
    readonly ClipAttention attn;
    readonly ClipLayerNorm ln_2;
    readonly ClipMlp mlp;

    public ClipResidualBlock(long width, long heads) : base(nameof(ClipResidualBlock))
    {
        ln_1 = new ClipLayerNorm(width);
        attn = new ClipAttention(width, heads);
        ln_2 = new ClipLayerNorm(width);
        mlp = new ClipMlp(width);
        RegisterComponents();
    }

    /// <summary>The block's attention (LoRA is applied there).</summary>
    public ClipAttention Attention => attn;

    /// <summary>The block's feed-forward part.</summary>
    public ClipMlp Mlp => mlp;

    /// <param name="x">B×L×W tokens.</param>
    /// <param name="mask">Optional L×L additive attention mask.</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(attn.forward(ln_1.forward(x), mask));
        return h.Plus(mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}
