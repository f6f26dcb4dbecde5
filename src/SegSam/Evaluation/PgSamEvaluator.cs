using System.Globalization;
using System.Text;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Evaluation;

/// <summary>
/// Semantic label maps scored per held-out slice and category: for every slice and every
/// category present in its ground truth, the 2D Dice, IoU and HD95 (mm) of "pixels predicted as
/// that category" against "pixels labelled with it". A category absent from a slice's ground
/// truth is not scored on that slice (its false positives show in the other categories' Dice).
/// Results reuse <see cref="MetricsReport"/> (one "object" per slice and category; the prompt
/// column says how the map was made: "none" for prompt-free, "box" for prompted).
/// </summary>
public static class SemanticMapEvaluator
{
    public static IEnumerable<ObjectResult> Score(LabelledSlice truth, int[] predicted, string[] categories, string modality, string prompt,
                                                  double[] spacing, bool surfaceDistances)
    {
        if (predicted.Length != truth.Labels.Length) throw new ArgumentException($"{truth.Id}: prediction has {predicted.Length} pixels, truth {truth.Labels.Length}");
        int[] dims = [truth.Height, truth.Width];
        foreach (int label in truth.LabelAreas().Keys.Order())
        {
            var t = truth.Mask(label);
            var p = new byte[predicted.Length];
            for (int i = 0; i < p.Length; i++) p[i] = predicted[i] == label ? (byte)1 : (byte)0;
            var counts = OverlapMetrics.Count(p, t);
            double? hd95 = null;
            if (surfaceDistances)
            {
                double h = SurfaceMetrics.Hd95(p, t, dims, spacing);
                hd95 = double.IsNaN(h) ? null : h;
            }
            yield return new ObjectResult(categories[label - 1], modality, prompt, counts.Dice, counts.Iou, null, null, hd95, null, truth.Id);
        }
    }
}

/// <summary>
/// PG-SAM's evaluation, prompt-free: each held-out slice through the model once, argmax over
/// background + categories at the input size, scored by <see cref="SemanticMapEvaluator"/>.
/// Also the prompted counterpart for comparisons: a SEG-SAM model prompted with one exact box per
/// object of a finer labelling (the evaluator's eligibility rule), each predicted binary mask
/// painted with the coarse class of its prompted object.
/// </summary>
public static class PgSamEvaluator
{
    /// <summary>Prompt-free label maps of every slice (0 = background, c = category c − 1).</summary>
    public static List<int[]> PredictLabels(PgSamModel model, SliceDataset data, SliceDescriptions? descriptions,
                                            IProgress<(int Done, int Total)>? progress = null, int batchSize = 4)
    {
        int size = model.ImgSize;
        if (data.Height != size || data.Width != size)
            throw new InvalidDataException($"dataset {data.Name} has {data.Height}×{data.Width} slices; the model takes {size}×{size}");
        using var text = PgSamPrior.TextInputs(model.Config, data.Slices.Select(s => s.Id).ToList(), descriptions);
        var maps = new List<int[]>(data.Slices.Count);
        int channels = model.Config.ImageEncoder.InChans;
        for (int start = 0; start < data.Slices.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = Enumerable.Range(start, Math.Min(batchSize, data.Slices.Count - start)).ToArray();
            var pixels = stack(rows.Select(i => tensor(data.Slices[i].Image, [1, size, size], device: model.Device).expand(channels, -1, -1)), 0);
            var rowIndex = tensor(rows.Select(i => (long)i).ToArray());
            var labels = model.PredictLabels(pixels, text.index_select(0, rowIndex).to(model.Device)).to(ScalarType.Int32).cpu();
            var flat = labels.data<int>().ToArray();
            int hw = size * size;
            for (int r = 0; r < rows.Length; r++) maps.Add(flat.AsSpan(r * hw, hw).ToArray());
            progress?.Report((start + rows.Length, data.Slices.Count));
        }
        return maps;
    }

    /// <summary>Prompt-free PG-SAM scores on the held-out slices.</summary>
    public static MetricsReport Evaluate(PgSamModel model, SliceDataset data, SliceDescriptions? descriptions, bool surfaceDistances = true,
                                         IProgress<(int Done, int Total)>? progress = null)
    {
        if (!data.Categories.SequenceEqual(model.Config.Categories))
            throw new InvalidDataException($"dataset {data.Name} categories differ from the model's ({data.Categories.Length} vs {model.Config.Categories.Length})");
        var maps = PredictLabels(model, data, descriptions, progress);
        return MetricsReport.Build(data.Slices.SelectMany((s, i) =>
            SemanticMapEvaluator.Score(s, maps[i], data.Categories, data.Modality, "none", data.PixelSpacing, surfaceDistances)));
    }

    /// <summary>
    /// Label maps from a SEG-SAM model prompted on the finely labelled slices: every object the
    /// evaluator would prompt (≥ <paramref name="minAreaFraction"/> of the slice) gets its exact
    /// box; each pixel takes the coarse class <paramref name="coarseOfLabel"/>[fine label] of the
    /// object whose mask logit there is highest, if that logit is positive (the binary mask's
    /// threshold), else background. Objects below the size threshold are never prompted, so their
    /// pixels stay background unless a neighbour's mask covers them.
    /// </summary>
    public static List<int[]> PromptedLabels(SegSamModel model, SliceDataset fine, IReadOnlyList<int> coarseOfLabel,
                                             double minAreaFraction = 0.00153, IProgress<(int Done, int Total)>? progress = null)
    {
        int size = model.Config.Sam.ImageEncoder.ImgSize;
        if (fine.Height != size || fine.Width != size)
            throw new InvalidDataException($"dataset {fine.Name} has {fine.Height}×{fine.Width} slices; the model takes {size}×{size}");
        if (coarseOfLabel.Count != fine.Categories.Length + 1)
            throw new ArgumentException($"the class map needs {fine.Categories.Length + 1} entries (background + {fine.Categories.Length} labels)");
        var sampler = new PromptSampler(minAreaFraction);
        var maps = new List<int[]>(fine.Slices.Count);
        model.eval();
        using var inference = inference_mode();
        for (int s = 0; s < fine.Slices.Count; s++)
        {
            using var scope = NewDisposeScope();
            var objects = sampler.TestObjects(fine.Slices[s], box: true);
            var map = new int[size * size];
            if (objects.Count > 0)
            {
                var (embedding, highRes) = model.EncodeImages(Training.TrainingBatch.Images(model.Sam, fine, [s], model.Sam.Device));
                var (logits, output) = SegSamEvaluator.PromptLogits(model, embedding, highRes, objects, box: true, size);
                using (output)
                {
                    var (best, which) = logits.squeeze(1).max(0); // S×S
                    var value = TensorData.ToFloatArray(best);
                    var index = which.to(ScalarType.Int32).cpu().data<int>().ToArray();
                    for (int i = 0; i < map.Length; i++)
                        map[i] = value[i] > 0 ? coarseOfLabel[objects[index[i]].Label] : 0;
                }
            }
            maps.Add(map);
            progress?.Report((s + 1, fine.Slices.Count));
        }
        return maps;
    }

    /// <summary>SEG-SAM prompted (see <see cref="PromptedLabels"/>), scored on the coarse labelling of the same slices.</summary>
    public static MetricsReport EvaluatePrompted(SegSamModel model, SliceDataset fine, SliceDataset coarse, IReadOnlyList<int> coarseOfLabel,
                                                 bool surfaceDistances = true, IProgress<(int Done, int Total)>? progress = null)
    {
        if (fine.Slices.Count != coarse.Slices.Count || fine.Slices.Zip(coarse.Slices).Any(p => p.First.Id != p.Second.Id))
            throw new ArgumentException("the fine and coarse datasets must hold the same slices");
        var maps = PromptedLabels(model, fine, coarseOfLabel, progress: progress);
        return MetricsReport.Build(coarse.Slices.SelectMany((s, i) =>
            SemanticMapEvaluator.Score(s, maps[i], coarse.Categories, coarse.Modality, "box", coarse.PixelSpacing, surfaceDistances)));
    }
}

/// <summary>Per-category Dice (mean over the slices where the category is present) and HD95 of several methods side by side.</summary>
public sealed record MethodComparison(string[] Categories, IReadOnlyList<(string Method, MetricsReport Report)> Methods)
{
    static double? Mean(MetricsReport r, string category, Func<ObjectResult, double?> metric)
    {
        var values = r.Objects.Where(o => o.Category == category).Select(metric).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }

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
