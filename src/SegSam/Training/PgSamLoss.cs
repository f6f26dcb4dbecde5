using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// PG-SAM's loss (calc_loss in trainer.py of logan-0623/PG-SAM at 01b0005): on the low-res
/// logits against the low-res labels and on the logits upsampled to the input size against the
/// labels, each (1 − w)·CE + w·Dice with w = 0.8; the total is their sum.
/// </summary>
public static class PgSamLoss
{
    /// <summary>
    /// The reference's multi-class soft Dice loss: softmax over the C classes, then per class c
    /// over the whole batch 1 − (2 Σ p·t + ε) / (Σ p² + Σ t² + ε), ε = 1e-5, averaged over all C
    /// classes including the background. logits: B×C×H×W; labels: B×H×W int64 in [0, C).
    /// </summary>
    public static Tensor SoftmaxDice(Tensor logits, Tensor labels)
    {
        CheckShapes(logits, labels);
        using var scope = NewDisposeScope();
        long c = logits.shape[1];
        var probs = logits.softmax(1);
        var onehot = nn.functional.one_hot(labels, c).permute(0, 3, 1, 2).to(probs.dtype);
        var intersection = (probs * onehot).sum([0, 2, 3]);
        var denominator = (probs * probs).sum([0, 2, 3]).Plus(onehot.sum([0, 2, 3]));
        var dice = intersection.Times(2).Plus(1e-5) / denominator.Plus(1e-5);
        return dice.neg().Plus(1).mean().MoveToOuterDisposeScope();
    }

    /// <summary>(1 − w)·CE + w·Dice at one resolution, with its two parts.</summary>
    public static (Tensor Total, double Ce, double Dice) AtResolution(Tensor logits, Tensor labels, double diceWeight)
    {
        CheckShapes(logits, labels);
        using var scope = NewDisposeScope();
        var ce = nn.functional.cross_entropy(logits, labels);
        var dice = SoftmaxDice(logits, labels);
        var total = ce.Times(1 - diceWeight).Plus(dice.Times(diceWeight));
        return (total.MoveToOuterDisposeScope(), ce.item<float>(), dice.item<float>());
    }

    /// <summary>
    /// The full loss: lowRes B×C×h×w logits with B×h×w labels, and the same logits upsampled
    /// (bilinear) to the labels' B×S×S. Returns the total and its parts for the log.
    /// </summary>
    public static (Tensor Total, Dictionary<string, double> Parts) Compute(Tensor lowResLogits, Tensor lowResLabels, Tensor fullLogits,
                                                                           Tensor fullLabels, double diceWeight)
    {
        using var scope = NewDisposeScope();
        var (low, lowCe, lowDice) = AtResolution(lowResLogits, lowResLabels, diceWeight);
        var (full, fullCe, fullDice) = AtResolution(fullLogits, fullLabels, diceWeight);
        var total = low.Plus(full);
        var parts = new Dictionary<string, double>
        {
            ["ce_low"] = lowCe, ["dice_low"] = lowDice, ["ce_full"] = fullCe, ["dice_full"] = fullDice, ["total"] = total.item<float>(),
        };
        return (total.MoveToOuterDisposeScope(), parts);
    }

    /// <summary>
    /// Nearest-neighbour downsampling of label maps as the reference prepares its low-res labels
    /// (scipy.ndimage.zoom, order 0, corners aligned): output pixel i takes input pixel
    /// round(i · (n − 1) / (m − 1)). labels: H×W row-major; returns size×size.
    /// </summary>
    public static int[] DownsampleLabels(int[] labels, int height, int width, int size)
    {
        if (labels.Length != height * width) throw new ArgumentException($"labels have {labels.Length} values, not {height}×{width}");
        static int Source(int i, int from, int to) =>
            to == 1 ? 0 : (int)Math.Round(i * (from - 1.0) / (to - 1.0), MidpointRounding.AwayFromZero);
        var result = new int[size * size];
        for (int y = 0; y < size; y++)
        {
            int sy = Source(y, height, size);
            for (int x = 0; x < size; x++) result[y * size + x] = labels[sy * width + Source(x, width, size)];
        }
        return result;
    }

    static void CheckShapes(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 4 || labels.dim() != 3 || logits.shape[0] != labels.shape[0] || logits.shape[2] != labels.shape[1] || logits.shape[3] != labels.shape[2])
            throw new ArgumentException($"logits {Shapes.Format(logits.shape)} and labels {Shapes.Format(labels.shape)} must be B×C×H×W and B×H×W");
    }
}
