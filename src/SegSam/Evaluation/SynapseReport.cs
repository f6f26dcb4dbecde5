using System.Globalization;
using System.Text;
using System.Text.Json;
using SegSam.IO;

namespace SegSam.Evaluation;

/// <summary>
/// Synapse results as TransUNet's <c>inference</c> aggregates them (reused by PG-SAM): per organ
/// the mean over cases, then mDice and mHD95 as the mean of those over organs. Every case scores
/// every organ (the empty-mask rules always give a number), so the matrix is full. Also the
/// per-case means over organs and the individual scores. Saved as snake_case JSON and RFC 4180
/// CSV, each written atomically.
/// </summary>
/// <param name="Organs">Organ names; label k is element k − 1.</param>
/// <param name="MeanDice">mDice: the mean over organs of the per-organ means over cases.</param>
/// <param name="MeanHd95Voxels">mHD95 in voxels, as the reference tables.</param>
/// <param name="MeanHd95Mm">mHD95 in mm.</param>
/// <param name="PerOrgan">One row per organ, in label order.</param>
/// <param name="PerCase">One row per case, in case order (ordinal).</param>
/// <param name="Scores">Every (case, organ), by case then label.</param>
public sealed record SynapseReport(
    IReadOnlyList<string> Organs,
    int CaseCount,
    double MeanDice,
    double MeanHd95Voxels,
    double MeanHd95Mm,
    IReadOnlyList<SynapseOrganSummary> PerOrgan,
    IReadOnlyList<SynapseCaseSummary> PerCase,
    IReadOnlyList<SynapseOrganScore> Scores)
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>
    /// Aggregates scores (from <see cref="SynapseProtocol.EvaluateCase"/>). Each case must score
    /// each label 1 … <paramref name="organs"/>.Count exactly once: with a gap the two orders of
    /// averaging would differ and the number would not be the protocol's.
    /// </summary>
    public static SynapseReport Build(IEnumerable<SynapseOrganScore> scores, IReadOnlyList<string> organs)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(organs);
        if (organs.Count == 0) throw new ArgumentException("at least one organ is needed", nameof(organs));
        var byCase = scores
            .GroupBy(s => s.Case, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Case: g.Key, Scores: g.OrderBy(s => s.Label).ToArray()))
            .ToArray();
        if (byCase.Length == 0) throw new ArgumentException("no cases to aggregate", nameof(scores));
        foreach (var (name, caseScores) in byCase)
        {
            if (!caseScores.Select(s => s.Label).SequenceEqual(Enumerable.Range(1, organs.Count)))
                throw new ArgumentException(
                    $"case {name} scores labels [{string.Join(", ", caseScores.Select(s => s.Label))}]; the protocol needs each of 1 … {organs.Count} once", nameof(scores));
            var misnamed = caseScores.FirstOrDefault(s => s.Organ != organs[s.Label - 1]);
            if (misnamed is not null)
                throw new ArgumentException($"case {name}: label {misnamed.Label} is called \"{misnamed.Organ}\", expected \"{organs[misnamed.Label - 1]}\"", nameof(scores));
        }

        // Mean over cases first (per organ), then over organs: the reference's order.
        var perOrgan = Enumerable.Range(1, organs.Count)
            .Select(label => SynapseOrganSummary.Of(label, organs[label - 1], byCase.Select(c => c.Scores[label - 1]).ToArray()))
            .ToArray();
        return new SynapseReport(
            organs.ToArray(),
            byCase.Length,
            perOrgan.Average(o => o.Dice),
            perOrgan.Average(o => o.Hd95Voxels),
            perOrgan.Average(o => o.Hd95Mm),
            perOrgan,
            byCase.Select(c => SynapseCaseSummary.Of(c.Case, c.Scores)).ToArray(),
            byCase.SelectMany(c => c.Scores).ToArray());
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SynapseReport FromJson(string json) =>
        JsonSerializer.Deserialize<SynapseReport>(json, Json) ?? throw new JsonException("the Synapse report is null");

    /// <summary>One row per (case, organ).</summary>
    public string ScoresCsv() => ReportCsv.SynapseScores(Scores);

    /// <summary>One row per organ, then a "mean" row (empty label) with mDice and mHD95.</summary>
    public string OrgansCsv() => ReportCsv.SynapseOrgans(PerOrgan, new SynapseOrganSummary(0, "mean", CaseCount, MeanDice, MeanHd95Voxels, MeanHd95Mm));

    /// <summary>One row per case: its means over organs.</summary>
    public string CasesCsv() => ReportCsv.SynapseCases(PerCase);

    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson());

    public void WriteScoresCsv(string path) => AtomicFile.WriteAllText(path, ScoresCsv());

    public void WriteOrgansCsv(string path) => AtomicFile.WriteAllText(path, OrgansCsv());

    public void WriteCasesCsv(string path) => AtomicFile.WriteAllText(path, CasesCsv());

    /// <summary>A fixed-width console table: per organ Dice (%) and HD95, then the means, as the papers' tables.</summary>
    public string SummaryTable()
    {
        int width = Math.Max(12, Organs.Max(o => o.Length) + 2);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Synapse protocol: {CaseCount} cases, mDice {100 * MeanDice:F2} %, mHD95 {MeanHd95Voxels:F2} voxels / {MeanHd95Mm:F2} mm"));
        text.AppendLine($"{"organ".PadRight(width)} {"Dice %",8} {"HD95 vox",9} {"HD95 mm",9}");
        foreach (var o in PerOrgan)
            text.AppendLine(Invariant($"{o.Organ.PadRight(width)} {100 * o.Dice,8:F2} {o.Hd95Voxels,9:F2} {o.Hd95Mm,9:F2}"));
        text.AppendLine(Invariant($"{"mean".PadRight(width)} {100 * MeanDice,8:F2} {MeanHd95Voxels,9:F2} {MeanHd95Mm,9:F2}"));
        return text.ToString();
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
