using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// A slice encoded once by SEG-SAM's image encoder (and high-resolution stem, when the model has
/// one), with the square frame that maps the slice's pixel coordinates into the model's: what
/// every prompt on that slice is decoded against. Owns its tensors.
/// </summary>
internal sealed class SliceEmbedding(Tensor embedding, Tensor? highRes, SquareFrame frame) : IDisposable
{
    public Tensor Embedding { get; } = embedding;
    public Tensor? HighRes { get; } = highRes;
    public SquareFrame Frame { get; } = frame;

    /// <summary>Memory the tensors hold, for the cache's bound.</summary>
    public long Bytes => Embedding.NumberOfElements * Embedding.ElementSize + (HighRes is { } h ? h.NumberOfElements * h.ElementSize : 0);

    public void Dispose()
    {
        Embedding.Dispose();
        HighRes?.Dispose();
    }
}
