using SegSam.Imaging;

namespace SegSam.Evaluation;

/// <summary>
/// Dice (DSC) and intersection over union of binary masks: any non-zero byte is foreground.
/// Masks are flat arrays of the same length; the grid shape does not matter here.
/// </summary>
public static class OverlapMetrics
{
    public static double Dice(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth) => Count(prediction, truth).Dice;

    public static double Iou(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth) => Count(prediction, truth).Iou;

    /// <summary>The counts behind both scores, in one pass.</summary>
    public static OverlapCounts Count(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth)
    {
        Grid.SameLength(prediction.Length, truth.Length);
        long both = 0, p = 0, g = 0;
        for (int i = 0; i < prediction.Length; i++)
        {
            bool a = prediction[i] != 0, b = truth[i] != 0;
            if (a) p++;
            if (b) g++;
            if (a && b) both++;
        }
        return new OverlapCounts(both, p, g);
    }
}
