using System.Globalization;
using System.Net;
using System.Text;
using SegSam.Evaluation;
using SegSam.IO;
using SegSam.Imaging;

namespace SegSam.Reporting;

/// <summary>
/// One self-contained HTML page for an evaluation: run summary, headline metrics per prompt type,
/// the DSC chart, per-category and per-modality tables, training curves, an overlay gallery, the
/// model card and the producing command. Images are inline PNG data URIs and the CSS is inline,
/// so the file stands alone (mailed, archived, opened offline); every content string is escaped.
/// </summary>
internal static class HtmlReport
{
    public static void Write(string path, ReportContent content) => AtomicFile.WriteAllText(path, Render(content));

    public static string Render(ReportContent content)
    {
        var metrics = content.Metrics;
        // Read before writing anything, so that a broken log fails the report rather than leaving a section half done.
        var log = content.TrainingLogPath is { } logPath ? TrainingLog.Read(logPath) : null;
        bool hasCategories = metrics.PerCategory.Count > 0;
        bool hasCard = !string.IsNullOrWhiteSpace(content.ModelCard);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(content.Title)).Append("</title>\n")
            .Append("<style>").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");

        html.Append("<h1>").Append(E(content.Title)).Append("</h1>\n");
        if (content.Facts.Count > 0)
        {
            html.Append("<dl class=\"facts\">\n");
            foreach (var (key, value) in content.Facts) html.Append("<dt>").Append(E(key)).Append("</dt><dd>").Append(E(value)).Append("</dd>\n");
            html.Append("</dl>\n");
        }
        var sections = new List<(string Id, string Name)>();
        if (hasCategories) sections.AddRange([("chart", "DSC chart"), ("categories", "Per category")]);
        if (metrics.PerModality.Count > 0) sections.Add(("modalities", "Per modality"));
        if (log is not null) sections.Add(("training", "Training"));
        if (content.Overlays.Count > 0) sections.Add(("gallery", "Gallery"));
        if (content.PromptFree is not null) sections.Add(("prompt-free", "Prompt-free"));
        if (hasCard) sections.Add(("model-card", "Model card"));
        if (sections.Count > 0)
            html.Append("<nav>").AppendJoin("", sections.Select(s => $"<a href=\"#{s.Id}\">{E(s.Name)}</a>")).Append("</nav>\n");

        html.Append("<h2 id=\"summary\">Summary</h2>\n");
        Headline(html, metrics);

        if (hasCategories)
        {
            // The ranking first: with an atlas's hundred categories the chart answers "which are weak" at a glance, the table then serves look-ups.
            html.Append("<h2 id=\"chart\">Mean DSC per category</h2>\n");
            Image(html, Charts.CategoryDice(metrics), "chart", "Mean DSC per category");
            html.Append("<h2 id=\"categories\">Per category</h2>\n");
            GroupTable(html, metrics.PerCategory, "category");
        }
        if (metrics.PerModality.Count > 0)
        {
            html.Append("<h2 id=\"modalities\">Per modality</h2>\n");
            GroupTable(html, metrics.PerModality, "modality");
        }
        if (log is not null)
        {
            html.Append("<h2 id=\"training\">Training</h2>\n");
            if (log.Steps.Count > 0) Image(html, Charts.TrainingCurves(log), "chart", "Training curves");
            else html.Append("<p>The training log ").Append(E(content.TrainingLogPath!)).Append(" has no steps yet.</p>\n");
        }
        if (content.Overlays.Count > 0) Gallery(html, content.Overlays);
        if (content.PromptFree is { } promptFree) PromptFree(html, promptFree);
        if (hasCard)
            html.Append("<h2 id=\"model-card\">Model card</h2>\n<div class=\"model-card\">\n")
                .Append(MarkdownLite.ToHtml(content.ModelCard!)).Append("</div>\n");

        html.Append("<footer>");
        if (content.CommandLine is { } command) html.Append("Produced by <code>").Append(E(command)).Append("</code>");
        else html.Append("Produced by SegSam.");
        html.Append("</footer>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>One card per prompt type: its mean DSC large, the other overall metrics beneath.</summary>
    static void Headline(StringBuilder html, MetricsReport metrics)
    {
        if (metrics.Overall.Count == 0)
        {
            html.Append("<p>No objects were evaluated.</p>\n");
            return;
        }
        html.Append("<div class=\"cards\">\n");
        foreach (var g in metrics.Overall)
        {
            html.Append("<div class=\"card\"><div class=\"label\">").Append(E(g.Prompt)).Append(" prompt · ")
                .Append(g.Count.ToString(CultureInfo.InvariantCulture)).Append(" objects</div>\n")
                .Append("<div class=\"big\">").Append(Fixed(g.Dice.Mean, "F3")).Append("</div>")
                .Append("<div class=\"sub\">DSC").Append(g.Dice.Std is double s ? " ± " + Fixed(s, "F3") : "").Append("</div>\n")
                .Append("<table class=\"kv\">\n");
            Row(html, "mDSC", Fixed(g.Mdsc, "F3"));
            Row(html, "class accuracy", Percent(g.ClassAccuracy) + (g.Classified > 0 ? $" of {g.Classified}" : ""));
            Row(html, "IoU", MeanStd(g.Iou, "F3"));
            Row(html, "HD95 (mm)", MeanStd(g.Hd95, "F1") + (g.Hd95.Missing > 0 ? $" ({g.Hd95.Missing} missing)" : ""));
            Row(html, "NSD", MeanStd(g.Nsd, "F3"));
            html.Append("</table></div>\n");
        }
        html.Append("</div>\n");

        static void Row(StringBuilder html, string name, string value) =>
            html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>\n");
    }

    /// <summary>One row per group; per metric one column per prompt type.</summary>
    static void GroupTable(StringBuilder html, IReadOnlyList<GroupSummary> rows, string groupName)
    {
        var prompts = rows.Select(r => r.Prompt).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var groups = rows.Select(r => r.Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var byKey = rows.ToDictionary(r => (r.Prompt, r.Group));
        (string Name, Func<GroupSummary, string> Cell)[] columns =
        [
            ("DSC", g => DiceCell(g.Dice.Mean)),
            ("mDSC", g => DiceCell(g.Mdsc)),
            ("HD95 (mm)", g => $"<td>{E(Fixed(g.Hd95.Mean, "F1"))}</td>"),
            ("class acc.", g => $"<td>{E(Percent(g.ClassAccuracy))}</td>"),
        ];

        html.Append("<div class=\"scroll\"><table class=\"metrics\">\n<thead>\n<tr><th rowspan=\"2\">").Append(E(groupName))
            .Append("</th><th rowspan=\"2\">n</th>");
        foreach (var (name, _) in columns)
            html.Append($"<th colspan=\"{prompts.Length}\" class=\"group\">").Append(E(name)).Append("</th>");
        html.Append("</tr>\n<tr>");
        foreach (var _ in columns)
            foreach (string p in prompts) html.Append("<th>").Append(E(p)).Append("</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        foreach (string group in groups)
        {
            var present = prompts.Where(p => byKey.ContainsKey((p, group))).Select(p => byKey[(p, group)]).ToArray();
            // The prompt types usually see the same objects; differing counts are shown rather than hidden.
            string n = string.Join(" / ", present.Select(g => g.Count).Distinct().Select(c => c.ToString(CultureInfo.InvariantCulture)));
            html.Append("<tr><td>").Append(E(group)).Append("</td><td>").Append(n).Append("</td>");
            foreach (var (_, cell) in columns)
                foreach (string p in prompts)
                    html.Append(byKey.TryGetValue((p, group), out var g) ? cell(g) : "<td>–</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
    }

    /// <summary>A DSC cell shaded from red (0) through yellow to green (1), so weak groups stand out in a long table.</summary>
    static string DiceCell(double? dice) => dice is double d
        ? $"<td style=\"background:hsl({Math.Round(120 * Math.Clamp(d, 0, 1)).ToString(CultureInfo.InvariantCulture)},70%,86%)\">{Fixed(d, "F3")}</td>"
        : "<td>–</td>";

    static void Gallery(StringBuilder html, IReadOnlyList<ReportOverlay> overlays)
    {
        html.Append("<h2 id=\"gallery\">Gallery</h2>\n<p class=\"legend\">")
            .Append(Swatch(OverlayRenderer.TruthColor)).Append("ground truth (outline)")
            .Append(Swatch(OverlayRenderer.PredictedColor)).Append("prediction")
            .Append(Swatch(OverlayRenderer.BoxColor)).Append("box prompt")
            .Append(Swatch(OverlayRenderer.PositiveClickColor, round: true)).Append("positive click")
            .Append(Swatch(OverlayRenderer.NegativeClickColor, round: true)).Append("negative click</p>\n<div class=\"gallery\">\n");
        foreach (var overlay in overlays)
        {
            var r = overlay.Result;
            html.Append("<figure>");
            Image(html, overlay.Png, "overlay", $"{r.Category}, {r.Prompt} prompt, {r.Source}");
            html.Append("<figcaption><div class=\"category\">").Append(E(r.Category)).Append("</div>")
                .Append("<div class=\"source\">").Append(E(r.Source)).Append("</div>")
                .Append("<div>").Append(E(r.Prompt)).Append(" prompt · DSC ").Append(Fixed(r.Dice, "F3"));
            if (r.ClassCorrect == true) html.Append(" · class <span class=\"ok\">✓</span>");
            else if (r.ClassCorrect == false) html.Append(" · class <span class=\"bad\">✗</span>");
            html.Append("</div>");
            if (r.ClassCorrect == false && r.PredictedCategory is { } predicted)
                html.Append("<div class=\"predicted\">predicted ").Append(E(predicted)).Append("</div>");
            html.Append("</figcaption></figure>\n");
        }
        html.Append("</div>\n");
    }

    /// <summary>
    /// The prompt-free part: a table of every structure's Dice and HD95 (2D on the held-out
    /// slices, 3D on the whole volume), their chart, the colour legend, the label-map gallery,
    /// the orthogonal views and the model's card.
    /// </summary>
    static void PromptFree(StringBuilder html, PromptFreeSection section)
    {
        var structures = section.Structures;
        var volume = section.WholeVolume;
        html.Append("<h2 id=\"prompt-free\">Prompt-free segmentation</h2>\n<p>").Append(E(section.Model))
            .Append(": every pixel labelled without any prompt, as background or one of ")
            .Append(structures.Count.ToString(CultureInfo.InvariantCulture)).Append(" structures.</p>\n");

        var held = structures.Select(s => (Dice: MethodComparison.Dice(section.HeldOut, s), Hd95: MethodComparison.Hd95(section.HeldOut, s),
            Count: section.HeldOut.Objects.Count(o => o.Category == s))).ToList();
        html.Append("<div class=\"scroll\"><table class=\"metrics\">\n<thead>\n<tr><th rowspan=\"2\">structure</th>")
            .Append("<th colspan=\"3\" class=\"group\">held-out slices (2D)</th>");
        if (volume is not null) html.Append("<th colspan=\"2\" class=\"group\">").Append(E(volume.Name)).Append(" whole volume (3D)</th>");
        html.Append("</tr>\n<tr><th>n</th><th>DSC</th><th>HD95 (mm)</th>");
        if (volume is not null) html.Append("<th>DSC</th><th>HD95 (mm)</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        for (int i = 0; i < structures.Count; i++)
        {
            html.Append("<tr><td>").Append(Swatch(LabelMapRenderer.ColorOf(i + 1))).Append(E(structures[i])).Append("</td><td>")
                .Append(held[i].Count.ToString(CultureInfo.InvariantCulture)).Append("</td>").Append(DiceCell(held[i].Dice))
                .Append("<td>").Append(Fixed(held[i].Hd95, "F1")).Append("</td>");
            if (volume?.Scores.FirstOrDefault(v => v.Structure == structures[i]) is { } v3)
                html.Append(DiceCell(v3.Dice)).Append("<td>").Append(Fixed(v3.Hd95Mm, "F1")).Append("</td>");
            else if (volume is not null) html.Append("<td>–</td><td>–</td>");
            html.Append("</tr>\n");
        }
        var meanDice = held.Select(h => h.Dice).OfType<double>().DefaultIfEmpty(double.NaN).Average();
        var meanHd95 = held.Select(h => h.Hd95).OfType<double>().DefaultIfEmpty(double.NaN).Average();
        html.Append("<tr><th>mean</th><th>").Append(held.Sum(h => h.Count).ToString(CultureInfo.InvariantCulture)).Append("</th><th>")
            .Append(Fixed(meanDice, "F3")).Append("</th><th>").Append(Fixed(meanHd95, "F1")).Append("</th>");
        if (volume is not null) html.Append("<th>").Append(Fixed(volume.MeanDice, "F3")).Append("</th><th>").Append(Fixed(volume.MeanHd95Mm, "F1")).Append("</th>");
        html.Append("</tr>\n</tbody>\n</table></div>\n");
        html.Append("<p class=\"legend\">n: held-out slices that show the structure; HD95 per slice in 2D, per volume in 3D.");
        if (volume is not null) AppendForeground(html, volume);
        if (section.CrossDataset is { } cross) AppendForeground(html, cross);
        html.Append("</p>\n");

        var series = new List<(string, double?[])> { ("held-out slices (2D)", held.Select(h => h.Dice).ToArray()) };
        if (volume is not null)
            series.Add(($"{volume.Name} whole volume (3D)", structures.Select(s => volume.Scores.FirstOrDefault(v => v.Structure == s)?.Dice).ToArray()));
        Image(html, Charts.StructureDice(structures, series, "Prompt-free DSC per structure"), "chart", "Prompt-free DSC per structure");

        html.Append("<p class=\"legend\">");
        for (int i = 0; i < structures.Count; i++) html.Append(Swatch(LabelMapRenderer.ColorOf(i + 1))).Append(E(structures[i]));
        html.Append("</p>\n");
        if (section.Gallery.Count > 0)
        {
            html.Append("<h3>Held-out slices: prediction (left) beside the atlas (right)</h3>\n<div class=\"gallery wide\">\n");
            foreach (var figure in section.Gallery) Figure(html, figure, "overlay");
            html.Append("</div>\n");
        }
        if (section.VolumeViews.Count > 0)
        {
            html.Append("<h3>Whole volumes: sagittal, coronal and axial views</h3>\n<div class=\"views\">\n");
            foreach (var figure in section.VolumeViews) Figure(html, figure, "overlay");
            html.Append("</div>\n");
        }
        if (!string.IsNullOrWhiteSpace(section.ModelCard))
            html.Append("<h3>Model card</h3>\n<div class=\"model-card\">\n").Append(MarkdownLite.ToHtml(section.ModelCard)).Append("</div>\n");

        static void AppendForeground(StringBuilder html, WholeVolumeResult r) =>
            html.Append(" ").Append(E(r.Name)).Append(", all structures together against all atlas-labelled voxels: 3D DSC ")
                .Append(Fixed(r.Foreground.Dice, "F3")).Append(", HD95 ").Append(Fixed(r.Foreground.Hd95Mm, "F1")).Append(" mm.");
    }

    static void Figure(StringBuilder html, ReportFigure figure, string cssClass)
    {
        html.Append("<figure>");
        Image(html, figure.Png, cssClass, figure.Caption);
        html.Append("<figcaption><div class=\"category\">").Append(E(figure.Caption)).Append("</div>");
        if (figure.Detail is { } detail) html.Append("<div>").Append(E(detail)).Append("</div>");
        html.Append("</figcaption></figure>\n");
    }

    static string Swatch(Rgb color, bool round = false) =>
        $"<span class=\"swatch{(round ? " round" : "")}\" style=\"background:{color.Hex}\"></span>";

    static void Image(StringBuilder html, byte[] png, string cssClass, string alt) =>
        html.Append("<img class=\"").Append(cssClass).Append("\" alt=\"").Append(E(alt))
            .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">\n");

    static string MeanStd(SummaryStat s, string format) =>
        s.Mean is double m ? Fixed(m, format) + (s.Std is double d ? " ± " + Fixed(d, format) : "") : "–";

    static string Fixed(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "–";

    static string Percent(double? v) => v is double d ? (100 * d).ToString("F1", CultureInfo.InvariantCulture) + "%" : "–";

    static string E(string s) => WebUtility.HtmlEncode(s);

    const string Css = """
        body{margin:0;background:#f5f6f8;color:#1d2430;font:15px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
        main{max-width:1200px;margin:0 auto;padding:20px 32px 40px}
        h1{font-size:28px;margin:8px 0 6px}
        h2{font-size:20px;margin:34px 0 12px;padding-bottom:4px;border-bottom:2px solid #dde2ea}
        nav{margin:10px 0}
        nav a{margin-right:16px;color:#2a62b8;text-decoration:none}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:10px 0}
        dl.facts dt{color:#5a6474}
        dl.facts dd{margin:0;font-weight:600}
        .cards{display:flex;flex-wrap:wrap;gap:16px}
        .card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:14px 18px;min-width:260px;flex:1}
        .card .label{color:#5a6474;font-size:13px;text-transform:uppercase;letter-spacing:.04em}
        .card .big{font-size:40px;font-weight:700;line-height:1.15}
        .card .sub{color:#5a6474;font-size:13px;margin-bottom:8px}
        table.kv th{text-align:left;font-weight:normal;color:#5a6474;padding:1px 16px 1px 0}
        table.kv td{text-align:right;font-variant-numeric:tabular-nums}
        .scroll{overflow-x:auto}
        table.metrics{border-collapse:collapse;background:#fff;font-size:13px;font-variant-numeric:tabular-nums}
        table.metrics th,table.metrics td{padding:3px 10px;border-bottom:1px solid #e6e9ee;text-align:right;white-space:nowrap}
        table.metrics th:first-child,table.metrics td:first-child{text-align:left}
        table.metrics thead th{background:#eef1f5}
        table.metrics th.group{text-align:center}
        img.chart{max-width:100%;background:#fff;border:1px solid #dde2ea;border-radius:6px}
        .legend{font-size:13px}
        .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin:0 5px 0 14px;border:1px solid #999}
        .swatch.round{border-radius:50%}
        .gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:14px}
        .gallery.wide{grid-template-columns:repeat(auto-fill,minmax(360px,1fr))}
        .views{display:grid;grid-template-columns:1fr;gap:14px}
        h3{font-size:16px;margin:22px 0 10px}
        figure{margin:0;background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:8px}
        figure img{width:100%;display:block;image-rendering:pixelated}
        figcaption{font-size:13px;margin-top:6px}
        figcaption .category{font-weight:600}
        figcaption .predicted{color:#c62828}
        figcaption .source{color:#5a6474;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;overflow-wrap:anywhere}
        .ok{color:#1a8a2e;font-weight:700}
        .bad{color:#c62828;font-weight:700}
        .model-card{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:4px 20px}
        .model-card table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums;margin:8px 0}
        .model-card th,.model-card td{padding:3px 10px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
        .model-card th{background:#eef1f5}
        .model-card code{background:#f3f5f8;padding:1px 4px;border-radius:3px;font-size:12px}
        pre{background:#f3f5f8;padding:8px 12px;overflow-x:auto;font-size:13px}
        footer{margin-top:40px;color:#5a6474;font-size:13px}
        footer code{white-space:pre-wrap;overflow-wrap:anywhere;background:#eaedf2;padding:2px 6px;border-radius:4px}
        """;
}
