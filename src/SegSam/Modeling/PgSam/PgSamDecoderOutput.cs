using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// The PG-SAM decoder's outputs for every mask token: refined logits and the logits before the
/// mask optimizer (B×T×4h×4w), IoU predictions (B×T).
/// </summary>
public sealed record PgSamDecoderOutput(Tensor Masks, Tensor CoarseMasks, Tensor Iou) : IDisposable
{
    public void Dispose()
    {
        Masks.Dispose();
        CoarseMasks.Dispose();
        Iou.Dispose();
    }
}
