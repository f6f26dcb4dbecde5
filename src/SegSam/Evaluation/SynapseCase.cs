namespace SegSam.Evaluation;

/// <summary>One organ of one case under the Synapse protocol.</summary>
/// <param name="Dice">Dice, or the protocol's 1 / 0 for the empty cases.</param>
/// <param name="Hd95Voxels">medpy HD95 with unit spacing, as the TransUNet / PG-SAM tables report it.</param>
/// <param name="Hd95Mm">medpy HD95 with the case's voxel spacing.</param>
public readonly record struct SynapseCaseResult(double Dice, double Hd95Voxels, double Hd95Mm);

/// <summary>
/// The per-case rule of TransUNet's <c>calculate_metric_percase</c> (reused by PG-SAM), so
/// numbers compare with their Synapse tables: prediction and truth both non-empty → (Dice,
/// HD95); prediction non-empty and truth empty → (1, 0); otherwise, including both empty, (0, 0).
/// HD95 is medpy's pooled 95th percentile (<see cref="SurfaceDistances.Hd95"/>).
/// </summary>
public static class SynapseCase
{
    /// <summary>The rule on binary masks (non-zero is foreground) of one organ.</summary>
    public static SynapseCaseResult Compute(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, int[] dims, double[] spacing)
    {
        // Validated here too: the empty-mask rules below would otherwise accept a wrong grid.
        Grid.SameLength(prediction.Length, truth.Length);
        _ = Grid.Of(dims, spacing, prediction.Length);
        var overlap = OverlapMetrics.Count(prediction, truth);
        if (overlap.Predicted > 0 && overlap.Truth == 0) return new SynapseCaseResult(1, 0, 0);
        if (overlap.Predicted == 0 || overlap.Truth == 0) return new SynapseCaseResult(0, 0, 0);

        double mm = SurfaceMetrics.Hd95(prediction, truth, dims, spacing);
        double voxels = spacing.All(s => s == 1) ? mm : SurfaceMetrics.Hd95(prediction, truth, dims, Enumerable.Repeat(1.0, dims.Length).ToArray());
        return new SynapseCaseResult(overlap.Dice, voxels, mm);
    }

    /// <summary>
    /// The rule for each organ label 1 … <paramref name="classCount"/> − 1 of two label maps (0 is
    /// background), as TransUNet's <c>test_single_volume</c>; element k − 1 is label k.
    /// </summary>
    public static SynapseCaseResult[] ComputePerClass(ReadOnlySpan<int> prediction, ReadOnlySpan<int> truth, int classCount, int[] dims, double[] spacing)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "need the background and at least one organ");
        var results = new SynapseCaseResult[classCount - 1];
        for (int label = 1; label < classCount; label++)
            results[label - 1] = Compute(LabelMask.Of(prediction, label), LabelMask.Of(truth, label), dims, spacing);
        return results;
    }
}
