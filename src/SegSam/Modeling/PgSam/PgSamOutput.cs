using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM head outputs for B slices: the similarity weights (B×g²) and guide matrix (B×D×g×g)
/// when the prior is on, the image embedding the decoder saw (after fusion; B×D×g×g), mask
/// logits after and before the mask optimizer (B×M×4g×4g) and IoU predictions (B×M).
/// </summary>
public sealed record PgSamOutput(Tensor? Similarity, Tensor? Guide, Tensor Fused, Tensor Masks, Tensor CoarseMasks, Tensor Iou) : IDisposable
{
    public void Dispose()
    {
        Similarity?.Dispose();
        Guide?.Dispose();
        Fused.Dispose();
        Masks.Dispose();
        CoarseMasks.Dispose();
        Iou.Dispose();
    }
}
