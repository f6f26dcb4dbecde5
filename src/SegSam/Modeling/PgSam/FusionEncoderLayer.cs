using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// torch.nn.TransformerEncoderLayer as PG-SAM's fusion builds it (batch_first, post-norm, ReLU,
/// feed-forward 4·D, dropout 0.1): x ← norm1(x + SA(x)); x ← norm2(x + linear2(relu(linear1(x)))).
/// B×N×D → B×N×D; the dropouts act only in training.
/// </summary>
public sealed class FusionEncoderLayer : nn.Module<Tensor, Tensor>
{
    readonly PackedSelfAttention self_attn;
    readonly Linear linear1;
    readonly Dropout dropout;
    readonly Linear linear2;
    readonly LayerNorm norm1;
    readonly LayerNorm norm2;
    readonly Dropout dropout1;
    readonly Dropout dropout2;

    public FusionEncoderLayer(long dim, long numHeads, long feedForwardDim, double dropoutRate = 0.1) : base(nameof(FusionEncoderLayer))
    {
        self_attn = new PackedSelfAttention(dim, numHeads, dropoutRate);
        linear1 = nn.Linear(dim, feedForwardDim);
        dropout = nn.Dropout(dropoutRate);
        linear2 = nn.Linear(feedForwardDim, dim);
        norm1 = nn.LayerNorm(dim, eps: 1e-5);
        norm2 = nn.LayerNorm(dim, eps: 1e-5);
        dropout1 = nn.Dropout(dropoutRate);
        dropout2 = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = norm1.forward(x.Plus(dropout1.forward(self_attn.forward(x))));
        var hidden = dropout.forward(nn.functional.relu(linear1.forward(x)));
        x = norm2.forward(x.Plus(dropout2.forward(linear2.forward(hidden))));
        return x.MoveToOuterDisposeScope();
    }
}
