using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace SegSam.Evaluation;

/// <summary>Per-category Dice (mean over the slices where the category is present) and HD95 of several methods side by side.</summary>
public sealed record MethodComparison(string[] Categories, IReadOnlyList<(string Method, MetricsReport Report)> Methods)
{
    static double? Mean(MetricsReport r, string category, Func<ObjectResult, double?> metric)
    {
        var values = r.Objects.Where(o => o.Category == category).Select(metric).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }

    /// <summary>A category's mean Dice over the slices where it is present (null when it is nowhere).</summary>
    public static double? Dice(MetricsReport r, string category) => Mean(r, category, o => o.Dice);

    /// <summary>A category's mean HD95 in mm over the slices where it is present and measurable.</summary>
    public static double? Hd95(MetricsReport r, string category) => Mean(r, category, o => o.Hd95);

    /// <summary>Per method: the mean over categories of the per-category mean Dice.</summary>
    public double? MeanDice(MetricsReport r)
    {
        var per = Categories.Select(c => Mean(r, c, o => o.Dice)).OfType<double>().ToList();
        return per.Count == 0 ? null : per.Average();
    }

    public double? MeanHd95(MetricsReport r)
    {
        var per = Categories.Select(c => Mean(r, c, o => o.Hd95)).OfType<double>().ToList();
        return per.Count == 0 ? null : per.Average();
    }

    static string F(double? v, string format) => v?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    /// <summary>A Markdown table: a row per category, Dice (and HD95 mm) columns per method, the means last.</summary>
    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| category | " + string.Join(" | ", Methods.Select(m => $"{m.Method} Dice | {m.Method} HD95 mm")) + " |");
        text.AppendLine("|---|" + string.Concat(Methods.Select(_ => "---|---|")));
        foreach (var c in Categories)
            text.AppendLine($"| {c} | " + string.Join(" | ", Methods.Select(m => $"{F(Mean(m.Report, c, o => o.Dice), "F4")} | {F(Mean(m.Report, c, o => o.Hd95), "F2")}")) + " |");
        text.AppendLine("| **mean** | " + string.Join(" | ", Methods.Select(m => $"**{F(MeanDice(m.Report), "F4")}** | {F(MeanHd95(m.Report), "F2")}")) + " |");
        return text.ToString();
    }

    public string Csv()
    {
        var text = new StringBuilder("category," + string.Join(",", Methods.Select(m => $"{m.Method}_dice,{m.Method}_hd95_mm")) + "\n");
        foreach (var c in Categories.Append("mean"))
            text.AppendLine(c + "," + string.Join(",", Methods.Select(m => c == "mean"
                ? $"{F(MeanDice(m.Report), "R")},{F(MeanHd95(m.Report), "R")}"
                : $"{F(Mean(m.Report, c, o => o.Dice), "R")},{F(Mean(m.Report, c, o => o.Hd95), "R")}")));
        return text.ToString();
    }
}
