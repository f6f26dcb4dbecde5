using SegSam.Data;
using SegSam.Modeling;
using SegSam.Inference;

namespace SegSam.Evaluation;

/// <summary>
/// Evaluates a SEG-SAM model the way the paper does: every object of every held-out slice is
/// prompted once, deterministically — its exact bounding box, and/or the object pixel farthest
/// from its border as a single click. Binary scores use SAM's decoder (for a click, the mask of
/// highest predicted IoU among the three; for a box, the single mask, or the best-rated of four with
/// box candidates), and with <see cref="EvaluationOptions.Oracle"/> also the best of those masks
/// against the truth (<see cref="ObjectResult.OracleDice"/>); semantic scores use the
/// semantic-aware decoder's mask and class (or SAM's mask with the cls token's class for the
/// cls baseline), counting the mask only when the class is right (mDSC). Slices of another size
/// than the model's input are resized to it by the predictor, as SAM's ResizeLongestSide does, and
/// the masks are scored at the slice's size, as MedSAM scores at the original resolution.
/// </summary>
public static class SegSamEvaluator
{
    public static MetricsReport Evaluate(SegSamModel model, SliceDataset data, EvaluationOptions options,
                                         IProgress<(int Done, int Total)>? progress = null)
    {
        bool semantic = options.Semantic && model.Config.IsSemantic && data.Categories.SequenceEqual(model.Config.Categories);
        var sampler = new PromptSampler(options.MinAreaFraction);
        var results = new List<ObjectResult>();
        int[] dims = [data.Height, data.Width];
        using var predictor = new SegSamPredictor(model, options.TestTimeMirroring);
        for (int s = 0; s < data.Slices.Count; s++)
        {
            var slice = data.Slices[s];
            using var encoded = predictor.Encode(slice.Image, data.Height, data.Width);
            foreach (bool box in new[] { true, false })
            {
                if (box ? !options.Boxes : !options.Points) continue;
                var objects = sampler.TestObjects(slice, box);
                if (objects.Count == 0) continue;
                // All objects of a slice at once, as the paper's evaluation batches them.
                var predictions = predictor.PredictBatch(encoded, [.. objects.Select(o => o.Prompt)], candidates: options.Oracle);
                for (int i = 0; i < objects.Count; i++)
                {
                    var prediction = predictions[i];
                    var binary = prediction.Mask;
                    var truth = objects[i].Mask;
                    var counts = OverlapMetrics.Count(binary, truth);
                    double? hd95 = null, nsd = null;
                    if (options.SurfaceDistances)
                    {
                        var distances = SurfaceMetrics.Distances(binary, truth, dims, data.PixelSpacing);
                        double h = distances.Hd95();
                        hd95 = double.IsNaN(h) ? null : h;
                        nsd = distances.Nsd(options.NsdToleranceMm);
                    }
                    bool? correct = null;
                    string? predicted = null;
                    double? semanticDice = null;
                    if (semantic && prediction.ClassIndex is { } c)
                    {
                        predicted = model.Config.Categories[c];
                        correct = c == objects[i].Label - 1;
                        semanticDice = OverlapMetrics.Dice(prediction.SemanticMask ?? binary, truth);
                    }
                    results.Add(new ObjectResult(data.Categories[objects[i].Label - 1], data.Modality, box ? "box" : "point",
                        counts.Dice, counts.Iou, correct, predicted, hd95, nsd, slice.Id)
                    {
                        SemanticMaskDice = semanticDice,
                        OracleDice = prediction.CandidateMasks is { } candidates
                            ? candidates.Select(m => OverlapMetrics.Dice(m, truth)).Append(counts.Dice).Max()
                            : null,
                    });
                }
            }
            progress?.Report((s + 1, data.Slices.Count));
        }
        return MetricsReport.Build(results);
    }
}
