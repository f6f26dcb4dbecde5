using SegSam.Imaging;

namespace SegSam.Evaluation;

/// <summary>
/// The per-case rule of TransUNet's <c>calculate_metric_percase</c> (reused by PG-SAM), so
/// numbers compare with their Synapse tables: prediction and truth both non-empty → (Dice,
/// HD95); prediction non-empty and truth empty → (1, 0); otherwise, including both empty, (0, 0).
/// HD95 is medpy's pooled 95th percentile (<see cref="SurfaceDistances.Hd95"/>).
/// </summary>
public static class SynapseCase
{
    /// <summary>The rule on binary masks (non-zero is foreground) of one organ.</summary>
    public static SynapseCaseResult Compute(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, int[] dims, double[] spacing)
    {
        // Validated here too: the empty-mask rules below would otherwise accept a wrong grid.
        Grid.SameLength(prediction.Length, truth.Length);
        _ = Grid.Of(dims, spacing, prediction.Length);
        var overlap = OverlapMetrics.Count(prediction, truth);
        if (overlap.Predicted > 0 && overlap.Truth == 0) return new SynapseCaseResult(1, 0, 0);
        if (overlap.Predicted == 0 || overlap.Truth == 0) return new SynapseCaseResult(0, 0, 0);

        double mm = SurfaceMetrics.Hd95(prediction, truth, dims, spacing);
        double voxels = spacing.All(s => s == 1) ? mm : SurfaceMetrics.Hd95(prediction, truth, dims, Enumerable.Repeat(1.0, dims.Length).ToArray());
        return new SynapseCaseResult(overlap.Dice, voxels, mm);
    }

    /// <summary>
    /// The rule for each organ label 1 … <paramref name="classCount"/> − 1 of two label maps (0 is
    /// background), as TransUNet's <c>test_single_volume</c>; element k − 1 is label k.
    /// </summary>
    public static SynapseCaseResult[] ComputePerClass(ReadOnlySpan<int> prediction, ReadOnlySpan<int> truth, int classCount, int[] dims, double[] spacing)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "need the background and at least one organ");
        Grid.SameLength(prediction.Length, truth.Length);
        var grid = Grid.Of(dims, spacing, prediction.Length);
        // One pass finds every label's box; each organ is then scored on its own box only, which
        // is exact (outside it both masks are background, as off-grid voxels are to the border
        // test) and spares eight full-volume masks per case on 512×512×150 CT.
        var boxes = LabelBoxes(prediction, truth, grid, classCount);
        var results = new SynapseCaseResult[classCount - 1];
        for (int label = 1; label < classCount; label++)
        {
            var b = boxes[label];
            if (b.Z1 < 0)
            {
                results[label - 1] = new SynapseCaseResult(0, 0, 0); // in neither: the "prediction empty" rule
                continue;
            }
            int d = b.Z1 - b.Z0 + 1, h = b.Y1 - b.Y0 + 1, w = b.X1 - b.X0 + 1;
            var p = new byte[d * h * w];
            var t = new byte[p.Length];
            for (int z = 0; z < d; z++)
                for (int y = 0; y < h; y++)
                {
                    int from = ((b.Z0 + z) * grid.H + b.Y0 + y) * grid.W + b.X0, to = (z * h + y) * w;
                    for (int x = 0; x < w; x++)
                    {
                        p[to + x] = prediction[from + x] == label ? (byte)1 : (byte)0;
                        t[to + x] = truth[from + x] == label ? (byte)1 : (byte)0;
                    }
                }
            int[] boxDims = dims.Length == 3 ? [d, h, w] : [h, w];
            results[label - 1] = Compute(p, t, boxDims, spacing);
        }
        return results;
    }

    /// <summary>Inclusive bounds of a label in either map; Z1 = −1 when it is in neither.</summary>
    readonly record struct LabelBox(int Z0, int Z1, int Y0, int Y1, int X0, int X1);

    static LabelBox[] LabelBoxes(ReadOnlySpan<int> prediction, ReadOnlySpan<int> truth, Grid g, int classCount)
    {
        var boxes = new LabelBox[classCount];
        Array.Fill(boxes, new LabelBox(int.MaxValue, -1, int.MaxValue, -1, int.MaxValue, -1));
        for (int z = 0, i = 0; z < g.D; z++)
            for (int y = 0; y < g.H; y++)
                for (int x = 0; x < g.W; x++, i++)
                {
                    int a = prediction[i], b = truth[i];
                    if (a > 0 && a < classCount) Extend(ref boxes[a], z, y, x);
                    if (b > 0 && b < classCount && b != a) Extend(ref boxes[b], z, y, x);
                }
        return boxes;
    }

    static void Extend(ref LabelBox box, int z, int y, int x) =>
        box = new LabelBox(Math.Min(box.Z0, z), Math.Max(box.Z1, z), Math.Min(box.Y0, y), Math.Max(box.Y1, y), Math.Min(box.X0, x), Math.Max(box.X1, x));
}
