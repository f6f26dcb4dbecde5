using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>Image to patch tokens: a strided convolution, B×C×H×W → B×(H/p)×(W/p)×D.</summary>
internal sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    readonly Conv2d proj;

    public PatchEmbed(long patchSize, long inChans, long embedDim) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(inChans, embedDim, kernel_size: (patchSize, patchSize), stride: (patchSize, patchSize));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var y = proj.forward(x);
        return y.permute(0, 2, 3, 1);
    }
}
