namespace SegSam.Inference;

/// <summary>How a <see cref="SegmentationSession"/> prepares its input and how much it keeps.</summary>
public sealed record SessionOptions
{
    /// <summary>"CT" or "MR" for the prompted model's intensity rule; null guesses (see <see cref="Data.VolumeIntensity.ForSegSam"/>).</summary>
    public string? Modality { get; init; }

    /// <summary>The CT window (level, width in HU) for the prompted model; null: the abdomen window.</summary>
    public (double Level, double Width)? Window { get; init; }

    /// <summary>Memory the encoded slices may hold before the least recently used are dropped.</summary>
    public long EmbeddingCacheBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Answer each prompt on the slice and on its left–right mirror, averaged (<see cref="SegSamPredictor.TestTimeMirroring"/>):
    /// twice the work per slice. Null: as the model's config says (<see cref="Modeling.SegSamConfig.TestTimeMirroring"/>).
    /// </summary>
    public bool? TestTimeMirroring { get; init; }

    /// <summary>The stopping rules of <see cref="SegmentationSession.Propagate"/>.</summary>
    public VolumeSegmenter Propagation { get; init; } = new();
}
