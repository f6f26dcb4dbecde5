using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// A slice encoded once by SEG-SAM's image encoder (and high-resolution stem, when the model has
/// one), with the square frame that maps the slice's pixel coordinates into the model's: what
/// every prompt on that slice is decoded against. With test-time mirroring it also holds the
/// encoding of the model input mirrored left to right. Owns its tensors.
/// </summary>
internal sealed class SliceEmbedding(Tensor embedding, Tensor? highRes, SquareFrame frame, Tensor? mirroredEmbedding = null, Tensor? mirroredHighRes = null)
    : IDisposable
{
    public Tensor Embedding { get; } = embedding;
    public Tensor? HighRes { get; } = highRes;
    public SquareFrame Frame { get; } = frame;

    /// <summary>The mirrored input's embedding (<see cref="SegSamPredictor.TestTimeMirroring"/>); null without mirroring.</summary>
    public Tensor? MirroredEmbedding { get; } = mirroredEmbedding;
    public Tensor? MirroredHighRes { get; } = mirroredHighRes;

    /// <summary>Memory the tensors hold, for the cache's bound.</summary>
    public long Bytes => new[] { Embedding, HighRes, MirroredEmbedding, MirroredHighRes }.Sum(t => t is null ? 0 : t.NumberOfElements * t.ElementSize);

    public void Dispose()
    {
        Embedding.Dispose();
        HighRes?.Dispose();
        MirroredEmbedding?.Dispose();
        MirroredHighRes?.Dispose();
    }
}
