namespace SegSam.Evaluation;

/// <summary>Voxel counts of a binary prediction against the ground truth, and the overlap scores they give.</summary>
/// <param name="Intersection">Voxels foreground in both.</param>
/// <param name="Predicted">Foreground voxels of the prediction.</param>
/// <param name="Truth">Foreground voxels of the ground truth.</param>
public readonly record struct OverlapCounts(long Intersection, long Predicted, long Truth)
{
    /// <summary>2|P∩G| / (|P| + |G|); 1 when both masks are empty (a correct "nothing there"), 0 when only one is.</summary>
    public double Dice => Predicted + Truth == 0 ? 1 : 2.0 * Intersection / (Predicted + Truth);

    /// <summary>|P∩G| / |P∪G|; 1 when both masks are empty, 0 when only one is.</summary>
    public double Iou => Predicted + Truth == 0 ? 1 : (double)Intersection / (Predicted + Truth - Intersection);
}

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
