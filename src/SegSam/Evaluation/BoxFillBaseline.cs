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
                int inside = 0, area = 0, boxArea = (int)((box.X1 - box.X0 + 1) * (box.Y1 - box.Y0 + 1));
                for (int y = 0; y < slice.Height; y++)
                for (int x = 0; x < slice.Width; x++)
                {
                    if (obj.Mask[y * slice.Width + x] == 0) continue;
                    area++;
                    if (x >= box.X0 && x <= box.X1 && y >= box.Y0 && y <= box.Y1) inside++;
                }
                sum += 2.0 * inside / (area + boxArea);
                count++;
            }
        return count > 0 ? sum / count : double.NaN;
    }
}
