using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's LayerNorm over the last dimension (eps 1e-5), always computed in float32: a half- or
/// bfloat16 input is normalised in fp32 and cast back, as the reference's LayerNorm subclass does
/// for its fp16 models. Parameters <c>weight</c> and <c>bias</c> (nn.LayerNorm's names). …×C → …×C.
/// </summary>
public sealed class ClipLayerNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly long width;
    const double Eps = 1e-5;

    public ClipLayerNorm(long width) : base(nameof(ClipLayerNorm))
    {
        this.width = width;
        weight = new Parameter(ones(width));
        bias = new Parameter(zeros(width));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() < 1 || x.shape[^1] != width)
            throw new ArgumentException($"LayerNorm expects …×{width} inputs, got {Shapes.Format(x.shape)}");
        if (x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32)
            return nn.functional.layer_norm(x, [width], weight, bias, Eps);
        using var scope = NewDisposeScope();
        var normed = nn.functional.layer_norm(x.to(ScalarType.Float32), [width],
            weight.to(ScalarType.Float32), bias.to(ScalarType.Float32), Eps);
        return normed.to(x.dtype).MoveToOuterDisposeScope();
    }
}
