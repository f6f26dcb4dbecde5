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
}
