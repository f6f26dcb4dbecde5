using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// The losses of SAM / SAM-Med2D / SEG-SAM on mask logits (B×M×H×W) and targets in {0, 1}
/// (B×1×H×W). Each returns a scalar tensor, the mean over the batch, unless named per mask.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Sigmoid focal loss (Lin et al. 2017), α = 0.25, γ = 2 as SAM uses it, averaged over pixels:
    /// −α_t (1 − p_t)^γ log p_t.
    /// </summary>
    public static Tensor Focal(Tensor logits, Tensor targets, double alpha = 0.25, double gamma = 2.0)
    {
        using var scope = NewDisposeScope();
        return FocalPerMask(logits, targets, alpha, gamma).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Focal loss of each mask (B×M×H×W logits, targets broadcast to them) averaged over its pixels: B×M.</summary>
    public static Tensor FocalPerMask(Tensor logits, Tensor targets, double alpha = 0.25, double gamma = 2.0)
    {
        using var scope = NewDisposeScope();
        targets = targets.expand_as(logits);
        var p = logits.sigmoid();
        var ce = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction: nn.Reduction.None);
        var pT = (p * targets).Plus((p.neg().Plus(1)) * (targets.neg().Plus(1)));
        var modulating = pT.neg().Plus(1).Pow(gamma);
        var alphaT = targets.Times(alpha).Plus(targets.neg().Plus(1).Times(1 - alpha));
        return (alphaT * modulating * ce).flatten(2).mean([2]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Soft Dice loss per mask, 1 − (2 Σ p·t + 1) / (Σ p + Σ t + 1) with p = σ(logits), averaged
    /// over the batch (the +1 smoothing of SAM-Med2D's DiceLoss).
    /// </summary>
    public static Tensor Dice(Tensor logits, Tensor targets, double smooth = 1.0)
    {
        using var scope = NewDisposeScope();
        return DicePerMask(logits, targets, smooth).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Dice loss of each mask (B×M×H×W logits, targets broadcast to them): B×M.</summary>
    public static Tensor DicePerMask(Tensor logits, Tensor targets, double smooth = 1.0)
    {
        using var scope = NewDisposeScope();
        targets = targets.expand_as(logits);
        var p = logits.sigmoid().flatten(2);
        var t = targets.flatten(2);
        var intersection = (p * t).sum(2);
        var union = p.sum(2).Plus(t.sum(2));
        var dice = intersection.Times(2).Plus(smooth) / union.Plus(smooth);
        return dice.neg().Plus(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean squared error between the predicted IoU (B) and the IoU of the thresholded mask with
    /// its target (SAM trains its IoU head this way).
    /// </summary>
    public static Tensor IouPrediction(Tensor predictedIou, Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor actual;
        using (no_grad())
        {
            var pred = logits.GreaterThan(0).to(ScalarType.Float32).flatten(1);
            var t = targets.flatten(1);
            var intersection = (pred * t).sum(1);
            var union = pred.sum(1).Plus(t.sum(1)) - intersection;
            actual = intersection / union.ClampMin(1e-6);
        }
        return nn.functional.mse_loss(predictedIou, actual).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy of class logits (B×N) against class ids (B, int64).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor classIds) =>
        nn.functional.cross_entropy(logits, classIds);

    /// <summary>Binary cross-entropy of presence logits (B×N) against 0/1 targets, mean over all entries.</summary>
    public static Tensor PresenceBce(Tensor logits, Tensor targets) =>
        nn.functional.binary_cross_entropy_with_logits(logits, targets);

    /// <summary>
    /// SEG-SAM's cross-mask spatial alignment (Eq. 10): 1 − soft IoU of the two decoders' masks,
    /// |σ(a)·σ(b)| / |σ(a) + σ(b) − σ(a)·σ(b)|, per mask, averaged over the batch.
    /// </summary>
    public static Tensor CrossMaskAlignment(Tensor logitsA, Tensor logitsB)
    {
        using var scope = NewDisposeScope();
        return CrossMaskAlignmentPerMask(logitsA, logitsB).mean().MoveToOuterDisposeScope();
    }

    /// <summary>The cross-mask alignment loss of each mask pair: B.</summary>
    public static Tensor CrossMaskAlignmentPerMask(Tensor logitsA, Tensor logitsB)
    {
        using var scope = NewDisposeScope();
        var a = logitsA.sigmoid().flatten(1);
        var b = logitsB.sigmoid().flatten(1);
        var intersection = (a * b).sum(1);
        var union = (a.Plus(b) - a * b).sum(1);
        var iou = intersection / union.ClampMin(1e-6);
        return iou.neg().Plus(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Full-image semantic segmentation loss (the SAWD_sem variant): per-pixel cross-entropy over
    /// background + N categories (background logit fixed at 0) plus the mean soft Dice of the
    /// categories present. categoryLogits: B×N×H×W; labelMap: B×H×W int64 with 0 = background.
    /// </summary>
    public static Tensor SemanticMap(Tensor categoryLogits, Tensor labelMap)
    {
        using var scope = NewDisposeScope();
        long b = categoryLogits.shape[0], n = categoryLogits.shape[1];
        var background = zeros([b, 1, categoryLogits.shape[2], categoryLogits.shape[3]], device: categoryLogits.device);
        var logits = cat([background, categoryLogits], 1);
        var ce = nn.functional.cross_entropy(logits, labelMap);
        var probs = logits.softmax(1)[.., 1..];
        var onehot = nn.functional.one_hot(labelMap, n + 1).permute(0, 3, 1, 2)[.., 1..].to(ScalarType.Float32);
        var intersection = (probs * onehot).sum([2, 3]);
        var union = probs.sum([2, 3]).Plus(onehot.sum([2, 3]));
        var present = onehot.sum([2, 3]).GreaterThan(0).to(ScalarType.Float32);
        var dice = intersection.Times(2).Plus(1) / union.Plus(1);
        var diceLoss = (dice.neg().Plus(1) * present).sum() / present.sum().ClampMin(1);
        return ce.Plus(diceLoss).MoveToOuterDisposeScope();
    }
}
