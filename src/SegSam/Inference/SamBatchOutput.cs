using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>Tensors returned by <see cref="SamPredictor.PredictTorch"/>; disposing releases them.</summary>
public sealed record SamBatchOutput(Tensor Masks, Tensor IouPredictions, Tensor LowResLogits) : IDisposable
{
    public void Dispose()
    {
        Masks.Dispose();
        IouPredictions.Dispose();
        LowResLogits.Dispose();
    }
}
