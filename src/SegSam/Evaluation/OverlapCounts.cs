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
