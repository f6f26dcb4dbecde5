using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>LayerNorm over the channel axis of a B×C×H×W tensor (the reference common.LayerNorm2d).</summary>
internal sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly double eps;

    public LayerNorm2d(long numChannels, double eps = 1e-6) : base(nameof(LayerNorm2d))
    {
        weight = new Parameter(ones(numChannels));
        bias = new Parameter(zeros(numChannels));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var u = x.mean([1], keepdim: true);
        var centred = x - u;
        var s = centred.square().mean([1], keepdim: true);
        var normed = centred / s.Plus(eps).sqrt();
        var y = (weight.view(-1, 1, 1) * normed).Plus(bias.view(-1, 1, 1));
        return y.MoveToOuterDisposeScope();
    }
}
