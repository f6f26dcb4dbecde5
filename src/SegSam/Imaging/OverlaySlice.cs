namespace SegSam.Imaging;

/// <summary>
/// What one overlay shows: a gray slice (Height×Width, 0–255), the ground-truth and predicted
/// masks (non-zero = inside) and the prompt.
/// </summary>
public sealed record OverlaySlice(int Height, int Width, float[] Gray)
{
    public byte[]? Truth { get; init; }
    public byte[]? Predicted { get; init; }
    public OverlayBox? Box { get; init; }
    public IReadOnlyList<OverlayClick> Clicks { get; init; } = [];
}
