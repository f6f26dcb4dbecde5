using System.Globalization;
using System.Text;

namespace SegSam.Evaluation;

/// <summary>The console table of a <see cref="MetricsReport"/>: mean ± std per metric, "-" where nothing was measured.</summary>
internal static class ReportTable
{
    public static string Format(MetricsReport report)
    {
        var text = new StringBuilder();
        foreach (var overall in report.Overall)
        {
            var categories = report.PerCategory.Where(g => g.Prompt == overall.Prompt).ToArray();
            var modalities = report.PerModality.Where(g => g.Prompt == overall.Prompt).ToArray();
            int nameWidth = Math.Max(12, categories.Concat(modalities).Select(g => g.Group.Length + 2).DefaultIfEmpty(0).Max());

            if (text.Length > 0) text.AppendLine();
            text.AppendLine(Invariant($"{overall.Prompt} prompts: {overall.Count} objects, mDSC {Value(overall.Mdsc, "F4")}, class accuracy {Value(overall.ClassAccuracy, "F4")}, HD95 missing {overall.Hd95.Missing}{Oracle(overall)}"));
            text.AppendLine(Line(nameWidth, "group", "n", "DSC", "IoU", "HD95 mm", "NSD", "mDSC", "acc"));
            text.AppendLine(Line(nameWidth, overall));
            text.AppendLine("category");
            foreach (var g in categories) text.AppendLine(Line(nameWidth, g, indent: true));
            text.AppendLine("modality");
            foreach (var g in modalities) text.AppendLine(Line(nameWidth, g, indent: true));
        }
        return text.ToString();
    }

    static string Line(int nameWidth, GroupSummary g, bool indent = false) =>
        Line(nameWidth, (indent ? "  " : "") + g.Group, g.Count.ToString(CultureInfo.InvariantCulture),
            MeanStd(g.Dice, "F4"), MeanStd(g.Iou, "F4"), MeanStd(g.Hd95, "F2"), MeanStd(g.Nsd, "F4"),
            Value(g.Mdsc, "F4"), Value(g.ClassAccuracy, "F4"));

    static string Line(int nameWidth, string name, string n, string dice, string iou, string hd95, string nsd, string mdsc, string accuracy) =>
        $"{name.PadRight(nameWidth)} {n,6}  {dice,-17} {iou,-17} {hd95,-17} {nsd,-17} {mdsc,-7} {accuracy}".TrimEnd();

    static string MeanStd(SummaryStat s, string format) =>
        s.Mean is double m ? $"{m.ToString(format, CultureInfo.InvariantCulture)} ± {s.Std!.Value.ToString(format, CultureInfo.InvariantCulture)}" : "-";

    static string Oracle(GroupSummary g) =>
        g.OracleDice?.Mean is double m ? Invariant($", oracle DSC {m:F4} (the best of each prompt's masks)") : "";

    static string Value(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
