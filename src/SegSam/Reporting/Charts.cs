using ScottPlot;
using SegSam.Evaluation;

namespace SegSam.Reporting;

/// <summary>The report's charts as PNG bytes, drawn with ScottPlot: mean DSC per category and training curves.</summary>
internal static class Charts
{
    static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
    ];

    // ScottPlot's fallback on a machine without its preferred fonts is a serif face; a sans one reads better in charts.
    static readonly string? FontName = new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }
        .FirstOrDefault(name => Fonts.GetTypeface(name, bold: false, italic: false)?.FamilyName == name);

    /// <summary>
    /// Horizontal bars of the mean DSC of each category, one series per prompt type, sorted by the
    /// first prompt type's DSC (best on top). The figure grows with the number of categories.
    /// </summary>
    public static byte[] CategoryDice(MetricsReport report, int width = 900)
    {
        var prompts = report.PerCategory.Select(g => g.Prompt).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (prompts.Length == 0) throw new ArgumentException("the report has no per-category results", nameof(report));
        var dice = report.PerCategory.ToDictionary(g => (g.Prompt, g.Group), g => g.Dice.Mean);
        var categories = report.PerCategory.Select(g => g.Group).Distinct(StringComparer.Ordinal)
            .OrderByDescending(c => dice.GetValueOrDefault((prompts[0], c)) ?? -1)
            .ThenBy(c => c, StringComparer.Ordinal)
            .ToArray();
        var series = prompts.Select(p => ($"{p} prompt", categories.Select(c => dice.GetValueOrDefault((p, c))).ToArray())).ToList();
        return DiceBars(categories, series, "Mean DSC per category", width);
    }

    /// <summary>
    /// Horizontal bars of the Dice of each structure in the given order (top to bottom), one
    /// series per kind of evaluation (e.g. 2D on held-out slices, 3D on a whole volume).
    /// </summary>
    public static byte[] StructureDice(IReadOnlyList<string> structures, IReadOnlyList<(string Legend, double?[] Values)> series, string title, int width = 900)
    {
        if (series.Count == 0 || series.Any(s => s.Values.Length != structures.Count))
            throw new ArgumentException("each series needs one value per structure", nameof(series));
        return DiceBars([.. structures], series, title, width);
    }

    /// <summary>Grouped horizontal bars on a 0–1 scale, rows top to bottom, one colour per series; missing values leave a gap.</summary>
    static byte[] DiceBars(string[] rows, IReadOnlyList<(string Legend, double?[] Values)> series, string title, int width)
    {
        int n = rows.Length;
        double barSize = 0.8 / series.Count;
        using var plot = NewPlot();
        for (int j = 0; j < series.Count; j++)
        {
            double offset = ((series.Count - 1) / 2.0 - j) * barSize;
            var bars = new List<Bar>();
            for (int i = 0; i < n; i++)
                if (series[j].Values[i] is double mean)
                    bars.Add(new Bar { Position = n - 1 - i + offset, Value = mean, Size = barSize, LineWidth = 0 });
            var added = plot.Add.Bars(bars);
            added.Horizontal = true;
            added.Color = Palette[j % Palette.Length];
            added.LegendText = series[j].Legend;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), rows);
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.Axes.SetLimits(0, 1, -0.6, n - 0.4);
        // The figure is thousands of pixels tall for an atlas: repeat the DSC scale on top, where reading starts.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Top.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.SetLimitsX(0, 1, plot.Axes.Top);
        plot.Title(title);
        plot.XLabel("mean DSC");
        plot.ShowLegend(Edge.Top); // outside the bars, and seen before scrolling down the tall figure

        int rowHeight = Math.Max(16, 9 * series.Count + 6);
        return plot.GetImageBytes(width, 140 + n * rowHeight, ImageFormat.Png);
    }

    /// <summary>
    /// Three panels over the global step: the total loss (raw, smoothed, and each epoch's mean),
    /// each other loss part smoothed, and the learning rate.
    /// </summary>
    public static byte[] TrainingCurves(TrainingLog log, int width = 1000, int height = 900)
    {
        if (log.Steps.Count == 0) throw new ArgumentException("the training log has no steps", nameof(log));
        double[] steps = log.Steps.Select(s => (double)s.Step).ToArray();
        // A trailing mean over ~4% of the run: wide enough to show the trend through the per-batch noise.
        int window = Math.Max(1, steps.Length / 25);

        using var total = NewPlot();
        var rawTotal = log.Steps.Select(s => s.Loss.GetValueOrDefault("total", double.NaN)).ToArray();
        var raw = total.Add.ScatterLine(steps, rawTotal, Palette[0].WithAlpha(0.3));
        raw.LegendText = "total (per step)";
        var smooth = total.Add.ScatterLine(steps, TrailingMean(rawTotal, window), Palette[0]);
        smooth.LineWidth = 2;
        smooth.LegendText = $"total (mean of {window} steps)";
        if (log.Epochs.Count > 0)
        {
            var epochMeans = total.Add.Scatter(log.Epochs.Select(e => (double)e.Step).ToArray(), log.Epochs.Select(e => e.MeanLoss).ToArray(), Palette[3]);
            epochMeans.LineWidth = 0;
            epochMeans.MarkerSize = 8;
            epochMeans.LegendText = "epoch mean";
        }
        total.Title("Training loss");
        total.YLabel("total loss");
        total.ShowLegend(Alignment.UpperRight);

        using var parts = NewPlot();
        var names = log.Steps.SelectMany(s => s.Loss.Keys).Where(k => k != "total").Distinct(StringComparer.Ordinal).ToArray();
        for (int k = 0; k < names.Length; k++)
        {
            var values = log.Steps.Select(s => s.Loss.GetValueOrDefault(names[k], double.NaN)).ToArray();
            var line = parts.Add.ScatterLine(steps, TrailingMean(values, window), Palette[(k + 1) % Palette.Length]);
            line.LineWidth = 1.5f;
            line.LegendText = names[k];
        }
        parts.YLabel($"loss parts (mean of {window})");
        if (names.Length > 0) parts.ShowLegend(Alignment.UpperRight);

        using var rate = NewPlot();
        var lr = rate.Add.ScatterLine(steps, log.Steps.Select(s => s.LearningRate).ToArray(), Palette[2]);
        lr.LineWidth = 1.5f;
        rate.YLabel("learning rate");
        rate.XLabel("step");
        rate.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => v == 0 ? "0" : v.ToString("0.##e+0", System.Globalization.CultureInfo.InvariantCulture) };

        // Constructed with its first plot; the plain constructor would add an empty one.
        var figure = new Multiplot(total) { Layout = new ScottPlot.MultiplotLayouts.Rows() };
        figure.AddPlot(parts);
        figure.AddPlot(rate);
        figure.SharedAxes.ShareX([total, parts, rate]);
        return figure.Render(width, height).GetImageBytes(ImageFormat.Png);
    }

    /// <summary>Mean of the last <paramref name="window"/> values at each index, NaN values skipped.</summary>
    static double[] TrailingMean(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        int count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsNaN(values[i])) { sum += values[i]; count++; }
            if (i >= window && !double.IsNaN(values[i - window])) { sum -= values[i - window]; count--; }
            result[i] = count > 0 ? sum / count : double.NaN;
        }
        return result;
    }

    static Plot NewPlot()
    {
        var plot = new Plot();
        if (FontName is not null) plot.Font.Set(FontName);
        return plot;
    }
}
