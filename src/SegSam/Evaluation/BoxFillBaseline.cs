using SegSam.Data;

namespace SegSam.Evaluation;

/// <summary>
/// The trivial predictor for box prompts: the filled prompt box. A box-prompted model is only
/// worth its box where it scores above this on the same objects (prompted as
/// <see cref="PromptSampler.TestObjects"/> does: one exact box around each object's largest
/// piece). scripts/box_fill_dsc.py computes the same number independently with NumPy/SciPy.
/// </summary>
public static class BoxFillBaseline
{
    /// <summary>Mean DSC of the filled boxes over the set's box-prompted objects; NaN when it has none.</summary>
    public static double MeanDice(SliceDataset data, PromptSampler? sampler = null)
    {
        sampler ??= new PromptSampler();
        double sum = 0;
        int count = 0;
        foreach (var slice in data.Slices)
            foreach (var obj in sampler.TestObjects(slice, box: true))
            {
                var box = obj.Prompt.Box!.Value;
                var filled = new byte[obj.Mask.Length];
                for (int y = (int)box.Y0; y <= box.Y1; y++)
                for (int x = (int)box.X0; x <= box.X1; x++)
                    filled[y * slice.Width + x] = 1;
                sum += OverlapMetrics.Dice(filled, obj.Mask);
                count++;
            }
        return count > 0 ? sum / count : double.NaN;
    }
}
