using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's activation, the sigmoid approximation of GELU: x·σ(1.702·x) (Hendrycks and Gimpel,
/// 2016). Element-wise; no parameters.
/// </summary>
public sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    public QuickGelu() : base(nameof(QuickGelu)) { }

    public override Tensor forward(Tensor x)
    {
        using var scaled = x.Times(1.702);
        using var gate = scaled.sigmoid();
        return x.mul(gate);
    }
}
