namespace SegSam.Data;

/// <summary>
/// The prompts for one prediction: any of points, a box, and a low-resolution mask (logits,
/// 4g×4g for a g×g embedding, typically the previous prediction's low-res output).
/// </summary>
public sealed record SamPrompt
{
    public IReadOnlyList<PointPrompt> Points { get; init; } = [];
    public BoxPrompt? Box { get; init; }
    public float[]? MaskInput { get; init; }
}
