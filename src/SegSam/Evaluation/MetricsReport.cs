using System.Text.Json;
using System.Text.Json.Serialization;
using SegSam.IO;

namespace SegSam.Evaluation;

/// <summary>
/// Aggregated evaluation results: per prompt type an overall row, per-category and per-modality
/// rows (<see cref="GroupSummary"/>), and the objects themselves. Rows are ordered by prompt, then
/// group name (ordinal). Saved as snake_case JSON and RFC 4180 CSV, each file written atomically.
/// </summary>
public sealed record MetricsReport(
    IReadOnlyList<GroupSummary> Overall,
    IReadOnlyList<GroupSummary> PerCategory,
    IReadOnlyList<GroupSummary> PerModality,
    IReadOnlyList<ObjectResult> Objects)
{
    /// <summary>The group name of a prompt type's overall row.</summary>
    public const string AllGroup = "all";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // A NaN that slipped into a Dice must not lose a whole evaluation run at the last step.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static MetricsReport Build(IEnumerable<ObjectResult> results)
    {
        // NaN is how the surface metrics say "missing"; null says it in JSON.
        var objects = results
            .Select(o => o with
            {
                Hd95 = o.Hd95 is double h && double.IsNaN(h) ? null : o.Hd95,
                Nsd = o.Nsd is double n && double.IsNaN(n) ? null : o.Nsd,
            })
            .ToArray();
        var byPrompt = objects.GroupBy(o => o.Prompt, StringComparer.Ordinal).OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        return new MetricsReport(
            byPrompt.Select(p => GroupSummary.Of(p.Key, AllGroup, p.ToArray())).ToArray(),
            Groups(byPrompt, o => o.Category),
            Groups(byPrompt, o => o.Modality),
            objects);
    }

    static GroupSummary[] Groups(IEnumerable<IGrouping<string, ObjectResult>> byPrompt, Func<ObjectResult, string> key) =>
        byPrompt
            .SelectMany(p => p
                .GroupBy(key, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => GroupSummary.Of(p.Key, g.Key, g.ToArray())))
            .ToArray();

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static MetricsReport FromJson(string json) =>
        JsonSerializer.Deserialize<MetricsReport>(json, Json) ?? throw new JsonException("the metrics report is null");

    /// <summary>One row per object.</summary>
    public string ObjectsCsv() => ReportCsv.Objects(Objects);

    /// <summary>One row per (prompt, category).</summary>
    public string CategoriesCsv() => ReportCsv.Groups(PerCategory, "category");

    /// <summary>One row per (prompt, modality).</summary>
    public string ModalitiesCsv() => ReportCsv.Groups(PerModality, "modality");

    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson());

    public void WriteObjectsCsv(string path) => AtomicFile.WriteAllText(path, ObjectsCsv());

    public void WriteCategoriesCsv(string path) => AtomicFile.WriteAllText(path, CategoriesCsv());

    public void WriteModalitiesCsv(string path) => AtomicFile.WriteAllText(path, ModalitiesCsv());

    /// <summary>A fixed-width text table for the console: per prompt type, the overall row, the categories, the modalities.</summary>
    public string SummaryTable() => ReportTable.Format(this);
}
