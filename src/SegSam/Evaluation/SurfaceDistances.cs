namespace SegSam.Evaluation;

/// <summary>
/// The surface distances between a prediction and the ground truth: for every border voxel of
/// one mask, the distance in mm to the nearest border voxel of the other (see
/// <see cref="SurfaceMetrics.Distances"/> for what a border voxel is). HD95 and NSD are read off
/// these, so one distance computation serves both.
/// </summary>
public sealed class SurfaceDistances
{
    internal SurfaceDistances(double[] predictionToTruth, double[] truthToPrediction)
    {
        PredictionToTruth = predictionToTruth;
        TruthToPrediction = truthToPrediction;
    }

    /// <summary>One distance per border voxel of the prediction: none when the prediction is empty, +∞ each when the truth is.</summary>
    public IReadOnlyList<double> PredictionToTruth { get; }

    /// <summary>One distance per border voxel of the ground truth: none when the truth is empty, +∞ each when the prediction is.</summary>
    public IReadOnlyList<double> TruthToPrediction { get; }

    bool BothEmpty => PredictionToTruth.Count == 0 && TruthToPrediction.Count == 0;
    bool OneEmpty => (PredictionToTruth.Count == 0) != (TruthToPrediction.Count == 0);

    /// <summary>
    /// 95th percentile of both directions' distances pooled, as medpy's <c>metric.binary.hd95</c>
    /// (numpy's linear interpolation between order statistics): the value the TransUNet and
    /// PG-SAM Synapse tables report. 0 when both masks are empty; NaN (missing) when only one is.
    /// </summary>
    public double Hd95()
    {
        if (BothEmpty) return 0;
        if (OneEmpty) return double.NaN;
        return Percentile95(PredictionToTruth.Concat(TruthToPrediction));
    }

    /// <summary>
    /// The larger of the two directed 95th percentiles, as MONAI's
    /// <c>compute_hausdorff_distance(percentile=95)</c> and DeepMind's robust Hausdorff on voxels;
    /// usually at least the pooled <see cref="Hd95"/>. Same empty-mask rules as <see cref="Hd95"/>.
    /// </summary>
    public double Hd95MaxOfDirected()
    {
        if (BothEmpty) return 0;
        if (OneEmpty) return double.NaN;
        return Math.Max(Percentile95(PredictionToTruth), Percentile95(TruthToPrediction));
    }

    /// <summary>
    /// Normalised surface distance (surface Dice) at <paramref name="toleranceMm"/>: the share of
    /// both borders lying within the tolerance (≤) of the other border. Nikolov et al.'s definition
    /// (DeepMind surface-distance) weighs surface elements by area; here every border voxel weighs
    /// one, as MONAI's <c>compute_surface_dice</c> without sub-voxels. 1 when both masks are empty,
    /// 0 when only one is.
    /// </summary>
    public double Nsd(double toleranceMm)
    {
        if (!(toleranceMm >= 0)) throw new ArgumentOutOfRangeException(nameof(toleranceMm), toleranceMm, "tolerance must be ≥ 0 mm");
        if (BothEmpty) return 1;
        if (OneEmpty) return 0;
        int within = PredictionToTruth.Count(d => d <= toleranceMm) + TruthToPrediction.Count(d => d <= toleranceMm);
        return (double)within / (PredictionToTruth.Count + TruthToPrediction.Count);
    }

    /// <summary>numpy.percentile(values, 95) with its default linear interpolation.</summary>
    static double Percentile95(IEnumerable<double> values)
    {
        double[] sorted = values.ToArray();
        Array.Sort(sorted);
        double rank = 0.95 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank);
        if (lo + 1 >= sorted.Length) return sorted[lo];
        return sorted[lo] + (rank - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
