using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SEG-SAM outputs for a batch of B prompts: SAGD's mask logits (B×M×4h×4w) and IoU (B×M);
/// the prompted object's class logits (B×N; from SAWD or the cls token); SAWD's own mask logits
/// (B×1×4h×4w); presence logits of the categories (B×N); per-category masks (SAWD_sem).
/// </summary>
public sealed record SegSamOutput(Tensor BinaryMasks, Tensor Iou, Tensor? ClassLogits, Tensor? SemanticMask,
                                  Tensor? PresenceLogits, Tensor? CategoryMasks) : IDisposable
{
    public void Dispose()
    {
        BinaryMasks.Dispose();
        Iou.Dispose();
        ClassLogits?.Dispose();
        SemanticMask?.Dispose();
        PresenceLogits?.Dispose();
        CategoryMasks?.Dispose();
    }
}
