namespace SegSam.Inference;

/// <summary>A click at pixel (X, Y) of the original image; label 1 = object, 0 = background.</summary>
public readonly record struct PointPrompt(double X, double Y, int Label);

/// <summary>A box in pixel coordinates of the original image, corners (X0, Y0) and (X1, Y1).</summary>
public readonly record struct BoxPrompt(double X0, double Y0, double X1, double Y1);

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
