using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Pixel-level features for the mask decoders (our addition, in the spirit of HQ-SAM's fusion of
/// early features): SAM draws every mask from 16×16-ish image tokens upsampled 4×, so a boundary
/// inside one patch must be encoded in that token; a model trained from scratch on a few dozen
/// images cannot learn that. Two 3×3 convolutions on the normalised image, pooled to the
/// decoders' 4× grid and projected to their upscaled width, are added to the upscaled features
/// before the hypernetwork product: B×C×S×S → B×D/8×4g×4g.
/// </summary>
internal sealed class HighResStem : nn.Module<Tensor, Tensor>
{
    readonly Sequential convs;
    readonly AvgPool2d pool;
    readonly Conv2d proj;

    public HighResStem(long inChans, long channels, long outChans, long poolFactor) : base(nameof(HighResStem))
    {
        convs = nn.Sequential(
            nn.Conv2d(inChans, channels, kernel_size: 3, padding: 1),
            nn.GELU(),
            nn.Conv2d(channels, channels, kernel_size: 3, padding: 1),
            nn.GELU());
        pool = nn.AvgPool2d(kernel_size: poolFactor, stride: poolFactor);
        proj = nn.Conv2d(channels, outChans, kernel_size: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor image)
    {
        using var scope = NewDisposeScope();
        return proj.forward(pool.forward(convs.forward(image))).MoveToOuterDisposeScope();
    }
}
