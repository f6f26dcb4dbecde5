using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Multi-head attention whose q/k/v projections may shrink the width by a downsample rate
/// (the reference transformer.Attention used by the two-way transformer).
/// </summary>
internal sealed class TokenAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Linear q_proj;
    readonly Linear k_proj;
    readonly Linear v_proj;
    readonly Linear out_proj;
    readonly long numHeads;

    public TokenAttention(long embeddingDim, long numHeads, long downsampleRate = 1) : base(nameof(TokenAttention))
    {
        long internalDim = embeddingDim / downsampleRate;
        if (internalDim % numHeads != 0)
            throw new ArgumentException($"num_heads ({numHeads}) must divide the attention width ({internalDim})");
        this.numHeads = numHeads;
        q_proj = nn.Linear(embeddingDim, internalDim);
        k_proj = nn.Linear(embeddingDim, internalDim);
        v_proj = nn.Linear(embeddingDim, internalDim);
        out_proj = nn.Linear(internalDim, embeddingDim);
        RegisterComponents();
    }

    /// <summary>q: B×Nq×D, k and v: B×Nk×D → B×Nq×D.</summary>
    public override Tensor forward(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        var qh = SeparateHeads(q_proj.forward(q));
        var kh = SeparateHeads(k_proj.forward(k));
        var vh = SeparateHeads(v_proj.forward(v));
        var attended = nn.functional.scaled_dot_product_attention(qh, kh, vh); // B × heads × Nq × C/heads
        var merged = attended.transpose(1, 2).reshape(attended.shape[0], attended.shape[2], -1);
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }

    Tensor SeparateHeads(Tensor x) => x.reshape(x.shape[0], x.shape[1], numHeads, -1).transpose(1, 2);
}
