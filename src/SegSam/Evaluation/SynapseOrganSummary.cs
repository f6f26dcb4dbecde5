namespace SegSam.Evaluation;

/// <summary>One organ's scores averaged over the cases (TransUNet's "Mean class k" line).</summary>
/// <param name="Cases">Cases averaged.</param>
public sealed record SynapseOrganSummary(int Label, string Organ, int Cases, double Dice, double Hd95Voxels, double Hd95Mm)
{
    internal static SynapseOrganSummary Of(int label, string organ, IReadOnlyCollection<SynapseOrganScore> scores) =>
        new(label, organ, scores.Count, scores.Average(s => s.Dice), scores.Average(s => s.Hd95Voxels), scores.Average(s => s.Hd95Mm));
}
