using System.Globalization;
using System.Text;

namespace SegSam.Evaluation;

/// <summary>
/// CSV text per RFC 4180: comma separated, CRLF line ends, a field quoted (quotes doubled) when it
/// holds a comma, quote or line break. Numbers use the invariant culture and round-trip; a missing
/// value is an empty field.
/// </summary>
internal static class ReportCsv
{
    public static string Objects(IEnumerable<ObjectResult> objects)
    {
        var csv = new StringBuilder();
        Row(csv, "source", "category", "modality", "prompt", "dice", "iou", "semantic_dice", "class_correct", "predicted_category", "hd95", "nsd", "semantic_mask_dice", "oracle_dice");
        foreach (var o in objects)
            Row(csv, o.Source, o.Category, o.Modality, o.Prompt, Number(o.Dice), Number(o.Iou), Number(o.SemanticDice),
                o.ClassCorrect switch { true => "true", false => "false", null => "" }, o.PredictedCategory, Number(o.Hd95), Number(o.Nsd), Number(o.SemanticMaskDice), Number(o.OracleDice));
        return csv.ToString();
    }

    public static string Groups(IEnumerable<GroupSummary> groups, string groupColumn)
    {
        var csv = new StringBuilder();
        Row(csv, "prompt", groupColumn, "count",
            "dice_mean", "dice_std", "iou_mean", "iou_std", "semantic_dice_mean", "semantic_dice_std", "mdsc", "classified", "class_accuracy",
            "hd95_mean", "hd95_std", "hd95_count", "hd95_missing", "nsd_mean", "nsd_std", "nsd_count", "nsd_missing", "oracle_dice_mean", "oracle_dice_std");
        foreach (var g in groups)
            Row(csv, g.Prompt, g.Group, Number(g.Count),
                Number(g.Dice.Mean), Number(g.Dice.Std), Number(g.Iou.Mean), Number(g.Iou.Std),
                Number(g.SemanticDice.Mean), Number(g.SemanticDice.Std), Number(g.Mdsc), Number(g.Classified), Number(g.ClassAccuracy),
                Number(g.Hd95.Mean), Number(g.Hd95.Std), Number(g.Hd95.Count), Number(g.Hd95.Missing),
                Number(g.Nsd.Mean), Number(g.Nsd.Std), Number(g.Nsd.Count), Number(g.Nsd.Missing),
                Number(g.OracleDice?.Mean), Number(g.OracleDice?.Std));
        return csv.ToString();
    }

    public static string SynapseScores(IEnumerable<SynapseOrganScore> scores)
    {
        var csv = new StringBuilder();
        Row(csv, "case", "label", "organ", "dice", "hd95_voxels", "hd95_mm");
        foreach (var s in scores)
            Row(csv, s.Case, Number(s.Label), s.Organ, Number(s.Dice), Number(s.Hd95Voxels), Number(s.Hd95Mm));
        return csv.ToString();
    }

    /// <summary>Per-organ rows, then <paramref name="mean"/> with an empty label.</summary>
    public static string SynapseOrgans(IEnumerable<SynapseOrganSummary> organs, SynapseOrganSummary mean)
    {
        var csv = new StringBuilder();
        Row(csv, "label", "organ", "cases", "dice", "hd95_voxels", "hd95_mm");
        foreach (var o in organs.Append(mean))
            Row(csv, ReferenceEquals(o, mean) ? "" : Number(o.Label), o.Organ, Number(o.Cases), Number(o.Dice), Number(o.Hd95Voxels), Number(o.Hd95Mm));
        return csv.ToString();
    }

    public static string SynapseCases(IEnumerable<SynapseCaseSummary> cases)
    {
        var csv = new StringBuilder();
        Row(csv, "case", "organs", "dice", "hd95_voxels", "hd95_mm");
        foreach (var c in cases)
            Row(csv, c.Case, Number(c.Organs), Number(c.Dice), Number(c.Hd95Voxels), Number(c.Hd95Mm));
        return csv.ToString();
    }

    static string Number(double? value) =>
        value is double v && !double.IsNaN(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    static void Row(StringBuilder csv, params string?[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) csv.Append(',');
            csv.Append(Field(fields[i] ?? ""));
        }
        csv.Append("\r\n");
    }

    static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
}
