using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM's second fusion stage (AdaptiveFeatureFusion in Lora.py of logan-0623/PG-SAM at
/// 01b0005): a channel gate from the pooled sum of image and fused features (avg-pool →
/// 1×1 conv D→D/8 → ReLU → 1×1 conv D/8→D → sigmoid) and a spatial gate from the image
/// features' channel mean and max (7×7 conv 2→1 → sigmoid) scale the fused features, which are
/// added to the image features: E + c(E + A) · s(E) · A. B×D×h×w (×2) → B×D×h×w.
/// </summary>
public sealed class AdaptiveFeatureFusion : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Sequential channel_attn;
    readonly Sequential spatial_attn;

    public AdaptiveFeatureFusion(long dim) : base(nameof(AdaptiveFeatureFusion))
    {
        channel_attn = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(dim, dim / 8, kernel_size: 1),
            nn.ReLU(),
            nn.Conv2d(dim / 8, dim, kernel_size: 1),
            nn.Sigmoid());
        spatial_attn = nn.Sequential(
            nn.Conv2d(2, 1, kernel_size: 7, padding: 3),
            nn.Sigmoid());
        RegisterComponents();
    }

    /// <summary>image, fused: B×D×h×w.</summary>
    public override Tensor forward(Tensor image, Tensor fused)
    {
        if (!image.shape.SequenceEqual(fused.shape))
            throw new ArgumentException($"image {Shapes.Format(image.shape)} and fused features {Shapes.Format(fused.shape)} must have one shape");
        using var scope = NewDisposeScope();
        var channelGate = channel_attn.forward(image.Plus(fused)); // B×D×1×1
        var (maxOverChannels, _) = image.max(1, keepdim: true);
        var spatialGate = spatial_attn.forward(cat([image.mean([1], keepdim: true), maxOverChannels], 1)); // B×1×h×w
        return image.Plus(channelGate * spatialGate * fused).MoveToOuterDisposeScope();
    }
}
