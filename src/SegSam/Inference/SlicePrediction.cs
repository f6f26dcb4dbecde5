namespace SegSam.Inference;

/// <summary>A session's answer to a <see cref="SlicePrompt"/>: the prediction on that slice and the object's area in mm².</summary>
public sealed record SlicePrediction(SlicePrompt Prompt, SemanticPrediction Prediction, double AreaMm2)
{
    public int Axis => Prompt.Axis;
    public int Index => Prompt.Index;

    /// <summary>The <paramref name="count"/> most probable categories (name, probability), most probable first; empty for a binary model.</summary>
    public IReadOnlyList<(string Category, float Probability)> TopCategories(IReadOnlyList<string> categories, int count = 5) =>
        Prediction.ClassProbabilities is { } p
            ? [.. p.Select((v, i) => (categories[i], v)).OrderByDescending(c => c.v).Take(count)]
            : [];
}
