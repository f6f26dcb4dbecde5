namespace SegSam.Server;

/// <summary>
/// The answer to a prompt: the object's id (to refine, accept or remove it), its category with the
/// top-5 class probabilities, the predicted IoU, the area, and the mask (PNG base64 or RLE) on the slice's H×W.
/// </summary>
public sealed record PromptAnswer(
    int ObjectId, string Axis, int Index, string? Category, float? ClassProbability, IReadOnlyList<ClassProbability> Top,
    float Iou, double AreaMm2, int Height, int Width, string? MaskPng, int[]? MaskRle);
