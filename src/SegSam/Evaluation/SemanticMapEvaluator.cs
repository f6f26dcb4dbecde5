using SegSam.Data;

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
