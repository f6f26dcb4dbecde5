namespace SegSam.Inference;

/// <summary>
/// SEG-SAM's answer for one prompted object on a slice (H×W): SAM's binary mask and predicted
/// IoU, and — for semantic models — the semantic decoder's mask, the class and its probability.
/// </summary>
public sealed record SemanticPrediction(
    int Height,
    int Width,
    byte[] Mask,
    float Iou,
    byte[]? SemanticMask,
    int? ClassIndex,
    string? ClassName,
    float? ClassProbability)
{
    public int Area => Mask.Count(v => v != 0);

    /// <summary>Every category's probability (softmax of the class logits), in category order; null for a binary model.</summary>
    public float[]? ClassProbabilities { get; init; }

    /// <summary>
    /// The chosen mask's logits at the decoder's resolution (<see cref="LowResSide"/>² values, the
    /// model's square frame): what a refining prompt feeds back as its mask input, as SAM's
    /// predictor does with low_res_logits.
    /// </summary>
    public float[]? LowResLogits { get; init; }

    public int LowResSide { get; init; }

    /// <summary>
    /// Every mask the decoder gave for the prompt (H×W each: a lone click's three candidates, a
    /// lone box's four with box candidates, else the one answer), each the average of both views
    /// when mirrored; null unless asked for (<see cref="SegSamPredictor.PredictBatch(IReadOnlyList{Data.SamPrompt}, bool)"/>).
    /// </summary>
    public IReadOnlyList<byte[]>? CandidateMasks { get; init; }
}
