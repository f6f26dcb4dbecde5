namespace SegSam.Imaging;

/// <summary>A click prompt at pixel (X, Y); positive marks the object, negative the background.</summary>
public readonly record struct OverlayClick(double X, double Y, bool Positive);
