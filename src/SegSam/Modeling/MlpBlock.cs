using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>Two-layer feed-forward block lin2(act(lin1(x))) (the reference common.MLPBlock).</summary>
internal sealed class MlpBlock : nn.Module<Tensor, Tensor>
{
    readonly Linear lin1;
    readonly Linear lin2;
    readonly nn.Module<Tensor, Tensor> act;

    public MlpBlock(long embeddingDim, long mlpDim, Func<nn.Module<Tensor, Tensor>> activation) : base(nameof(MlpBlock))
    {
        lin1 = nn.Linear(embeddingDim, mlpDim);
        lin2 = nn.Linear(mlpDim, embeddingDim);
        act = activation();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var h = lin1.forward(x);
        using var a = act.forward(h);
        return lin2.forward(a);
    }
}
