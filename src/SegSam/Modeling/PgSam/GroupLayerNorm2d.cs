using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// What PG-SAM's mask decoder calls LayerNorm2d: a GroupNorm with one group (eps 1e-5), which
/// normalises each sample over all of C×H×W, with a per-channel affine — unlike SAM's
/// LayerNorm2d, which normalises each position over the channels. Parameters under <c>norm.</c>.
/// </summary>
public sealed class GroupLayerNorm2d : nn.Module<Tensor, Tensor>
{
    readonly GroupNorm norm;

    public GroupLayerNorm2d(long numChannels, double eps = 1e-5) : base(nameof(GroupLayerNorm2d))
    {
        norm = nn.GroupNorm(1, numChannels, eps: eps);
        // TorchSharp 0.107 leaves GroupNorm's affine parameters uninitialised (arbitrary memory,
        // NaN included); PyTorch starts them at weight 1, bias 0.
        nn.init.ones_(norm.weight!);
        nn.init.zeros_(norm.bias!);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => norm.forward(x);
}
