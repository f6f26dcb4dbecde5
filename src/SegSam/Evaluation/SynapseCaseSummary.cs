namespace SegSam.Evaluation;

/// <summary>One case's scores averaged over the organs (TransUNet's per-case log line); for reading, not part of mDice.</summary>
/// <param name="Organs">Organs averaged.</param>
public sealed record SynapseCaseSummary(string Case, int Organs, double Dice, double Hd95Voxels, double Hd95Mm)
{
    internal static SynapseCaseSummary Of(string caseName, IReadOnlyCollection<SynapseOrganScore> scores) =>
        new(caseName, scores.Count, scores.Average(s => s.Dice), scores.Average(s => s.Hd95Voxels), scores.Average(s => s.Hd95Mm));
}
