using SegSam.Data.Datasets;

namespace SegSam.Evaluation;

/// <summary>
/// The Synapse multi-organ evaluation of TransUNet and PG-SAM: each test case's predicted label
/// volume against its ground truth, in 3D, per organ (<see cref="SynapseCase"/>: Dice and medpy
/// HD95 with the reference's empty-mask rules), then <see cref="SynapseReport.Build"/> for the
/// mean over cases and organs. Organs, label codes and the test split are
/// <see cref="SynapseDataset"/>'s.
/// </summary>
public static class SynapseProtocol
{
    /// <summary>
    /// Scores one case. <paramref name="prediction"/> and <paramref name="truth"/> are D×H×W
    /// row-major label volumes coded 0 (background) … <paramref name="organs"/>.Count (default
    /// the 8 Synapse organs); <paramref name="spacing"/> is (z, y, x) in mm. HD95 is reported in
    /// voxels (unit spacing, as the reference) and in mm.
    /// </summary>
    public static IReadOnlyList<SynapseOrganScore> EvaluateCase(string caseName, ReadOnlySpan<int> prediction, ReadOnlySpan<int> truth,
        int[] dims, double[] spacing, IReadOnlyList<string>? organs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(caseName);
        organs ??= SynapseDataset.Organs;
        // A code outside 0 … C would silently count as background below: it is a remap bug.
        CheckCodes(prediction, organs.Count, $"{caseName}: prediction");
        CheckCodes(truth, organs.Count, $"{caseName}: ground truth");
        var results = SynapseCase.ComputePerClass(prediction, truth, organs.Count + 1, dims, spacing);
        return results.Select((r, i) => new SynapseOrganScore(caseName, i + 1, organs[i], r.Dice, r.Hd95Voxels, r.Hd95Mm)).ToArray();
    }

    static void CheckCodes(ReadOnlySpan<int> labels, int organCount, string what)
    {
        // Vectorised search for anything outside [0, organCount].
        int bad = labels.IndexOfAnyExceptInRange(0, organCount);
        if (bad >= 0)
            throw new ArgumentException($"{what} holds label {labels[bad]} at voxel {bad}; the codes are 0 … {organCount}");
    }
}
