namespace SegSam.Data;

/// <summary>A click at pixel (X, Y) of the original image; label 1 = object, 0 = background.</summary>
public readonly record struct PointPrompt(double X, double Y, int Label);
