namespace SegSam.Server;

/// <summary>
/// Body of POST /volumes/{id}/prompts: a box [x0, y0, x1, y1] and/or points [x, y, label] in pixels
/// of slice <see cref="Index"/> across <see cref="Axis"/> (as the slice PNG shows it); or
/// <see cref="Refine"/>, an earlier object whose prompt is answered again with the points added.
/// <see cref="Mask"/> is "png" (default) or "rle".
/// </summary>
public sealed record PromptRequest(string? Axis, int? Index, double[]? Box, double[][]? Points, int? Refine, string? Mask);
