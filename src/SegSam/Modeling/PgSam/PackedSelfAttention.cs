using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// Multi-head self-attention with one packed q/k/v projection (torch.nn.MultiheadAttention with
/// batch_first, as nn.TransformerEncoderLayer uses it): parameters <c>in_proj_weight</c> (3D×D),
/// <c>in_proj_bias</c> (3D) and <c>out_proj</c>. B×N×D → B×N×D; attention dropout in training.
/// </summary>
public sealed class PackedSelfAttention : nn.Module<Tensor, Tensor>
{
    readonly Parameter in_proj_weight;
    readonly Parameter in_proj_bias;
    readonly Linear out_proj;
    readonly long numHeads;
    readonly double dropout;

    public long EmbedDim { get; }

    public PackedSelfAttention(long embedDim, long numHeads, double dropout = 0.0) : base(nameof(PackedSelfAttention))
    {
        if (numHeads <= 0 || embedDim % numHeads != 0)
            throw new ArgumentException($"num_heads ({numHeads}) must divide the embedding width ({embedDim})");
        EmbedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        // torch.nn.MultiheadAttention's initialisation: Xavier-uniform packed weight, zero biases.
        in_proj_weight = new Parameter(empty(3 * embedDim, embedDim));
        nn.init.xavier_uniform_(in_proj_weight);
        in_proj_bias = new Parameter(zeros(3 * embedDim));
        out_proj = nn.Linear(embedDim, embedDim);
        nn.init.zeros_(out_proj.bias!);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[2] != EmbedDim)
            throw new ArgumentException($"self-attention input must be B×N×{EmbedDim}, got {Shapes.Format(x.shape)}");
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias) // B×N×3D
            .reshape(b, n, 3, numHeads, EmbedDim / numHeads).permute(2, 0, 3, 1, 4); // 3×B×heads×N×d
        var attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], p: training ? dropout : 0.0);
        var merged = attended.transpose(1, 2).reshape(b, n, EmbedDim);
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
