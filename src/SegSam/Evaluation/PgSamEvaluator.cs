using SegSam.Data;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using TorchSharp;
using SegSam.Inference;
using static TorchSharp.torch;

namespace SegSam.Evaluation;

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
    /// pixels stay background unless a neighbour's mask covers them. Slices of another size than
    /// the model's are resized for it and the maps are at the slices' size (as <see cref="SegSamEvaluator"/>).
    /// </summary>
    public static List<int[]> PromptedLabels(SegSamModel model, SliceDataset fine, IReadOnlyList<int> coarseOfLabel,
                                             double minAreaFraction = 0.00153, IProgress<(int Done, int Total)>? progress = null)
    {
        if (coarseOfLabel.Count != fine.Categories.Length + 1)
            throw new ArgumentException($"the class map needs {fine.Categories.Length + 1} entries (background + {fine.Categories.Length} labels)");
        var sampler = new PromptSampler(minAreaFraction);
        var maps = new List<int[]>(fine.Slices.Count);
        using var predictor = new SegSamPredictor(model);
        for (int s = 0; s < fine.Slices.Count; s++)
        {
            var objects = sampler.TestObjects(fine.Slices[s], box: true);
            var map = new int[fine.Height * fine.Width];
            if (objects.Count > 0)
            {
                using var encoded = predictor.Encode(fine.Slices[s].Image, fine.Height, fine.Width);
                using var scope = NewDisposeScope();
                using var inference = inference_mode();
                var (logits, _, _, output) = predictor.Decode(encoded, [.. objects.Select(o => o.Prompt)]);
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
