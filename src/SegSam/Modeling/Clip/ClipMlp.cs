using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// The feed-forward part of a CLIP residual block: <c>c_proj(QuickGELU(c_fc(x)))</c> with a 4×
/// hidden width, …×W → …×W. Field names give the reference's state_dict names
/// (<c>mlp.c_fc.weight</c>, <c>mlp.c_proj.bias</c>, …).
/// </summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear c_fc;
    readonly QuickGelu gelu;
    readonly Linear c_proj;

    public ClipMlp(long width) : base(nameof(ClipMlp))
    {
        c_fc = nn.Linear(width, 4 * width);
        gelu = new QuickGelu();
        c_proj = nn.Linear(4 * width, width);
        RegisterComponents();
    }

    /// <summary>The W → 4W projection (initialised by the text tower as the reference does).</summary>
    internal Linear Fc => c_fc;

    /// <summary>The 4W → W projection.</summary>
    internal Linear Proj => c_proj;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return c_proj.forward(gelu.forward(c_fc.forward(x))).MoveToOuterDisposeScope();
    }
}
