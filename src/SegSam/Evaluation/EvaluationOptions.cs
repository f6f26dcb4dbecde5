namespace SegSam.Evaluation;

/// <summary>What to evaluate and how.</summary>
public sealed record EvaluationOptions
{
    public bool Boxes { get; init; } = true;
    public bool Points { get; init; } = true;
    /// <summary>Score classes and semantic masks (only when the dataset's categories are the model's).</summary>
    public bool Semantic { get; init; } = true;
    public bool SurfaceDistances { get; init; } = true;
    /// <summary>NSD tolerance τ in mm.</summary>
    public double NsdToleranceMm { get; init; } = 2.0;
    public double MinAreaFraction { get; init; } = 0.00153;
    /// <summary>Answer each prompt on the slice and on its mirror, averaged (<see cref="Inference.SegSamPredictor.TestTimeMirroring"/>); null: as the model's config says.</summary>
    public bool? TestTimeMirroring { get; init; }
    /// <summary>
    /// Also score the best of each prompt's masks (<see cref="ObjectResult.OracleDice"/>), as SAM's
    /// paper reports an "oracle" beside the mask of highest predicted IoU: how much a perfect choice
    /// among the candidates would gain over the model's own choice.
    /// </summary>
    public bool Oracle { get; init; }
}
