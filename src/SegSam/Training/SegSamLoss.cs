using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// SEG-SAM's objective (Eq. 11) for whatever parts a model has: L_bin = w_f·focal + w_d·Dice on
/// SAGD's mask (plus SAM's IoU-head MSE; with several masks per prompt the one of least loss is
/// trained, as SAM does; with <see cref="MaskOutputs.All"/>, a box of a model with box
/// candidates, the single answer and the least-loss candidate both learn); L_sem = CE on the
/// class + Dice on SAWD's mask (the cls-token baseline only has the CE); λ·BCE on the presence of
/// unprompted categories; 1 − soft IoU between the two decoders' masks (CMSA; with box candidates
/// against the single answer); and for the SAWD_sem variant the full-image semantic loss. Mask
/// logits are upsampled to the input size first, as SAM-Med2D does. Class-agnostic objects
/// (no category) count in L_bin, the IoU head and the presence BCE only: the class, SAWD-mask
/// and CMSA terms average over the objects that have a category.
/// </summary>
public static class SegSamLoss
{
    /// <param name="outputs">The mask tokens the decode returned (default: SAM's single mask, or its candidates when there are several).</param>
    public static LossTerms Compute(SegSamOutput output, TrainingBatch batch, TrainingConfig config, int imageSize, MaskOutputs? outputs = null)
    {
        using var scope = NewDisposeScope();
        var parts = new Dictionary<string, double>();
        var targets = batch.Masks;
        long p = targets.shape[0];

        var binary = Upsample(output.BinaryMasks, imageSize);
        var perMask = Losses.FocalPerMask(binary, targets).Times(config.FocalWeight)
            .Plus(Losses.DicePerMask(binary, targets).Times(config.DiceWeight));
        long m = binary.shape[1];
        Tensor Mask(Tensor masks, Tensor index) => masks.gather(1, index.view(p, 1, 1, 1).expand(p, 1, imageSize, imageSize));
        // chosenMask is the answer the SAWD's mask aligns with; trained lists the (mask, IoU) pairs that learn.
        Tensor chosenMask, binLoss;
        List<(Tensor Mask, Tensor Iou)> trained;
        if ((outputs ?? (m > 1 ? MaskOutputs.Multiple : MaskOutputs.Single)) == MaskOutputs.All)
        {
            var candidates = perMask[.., 1..];
            var best = candidates.argmin(1, keepdim: true);
            binLoss = perMask[.., 0].mean().Plus(candidates.gather(1, best).mean());
            chosenMask = binary[.., ..1];
            trained = [(chosenMask, output.Iou[.., 0]), (Mask(binary[.., 1..], best), output.Iou[.., 1..].gather(1, best).squeeze(1))];
        }
        else if (m > 1)
        {
            var best = perMask.argmin(1, keepdim: true);
            binLoss = perMask.gather(1, best).mean();
            chosenMask = Mask(binary, best);
            trained = [(chosenMask, output.Iou.gather(1, best).squeeze(1))];
        }
        else
        {
            binLoss = perMask.mean();
            chosenMask = binary;
            trained = [(binary, output.Iou.squeeze(1))];
        }
        var total = binLoss;
        parts["bin"] = binLoss.item<float>();
        if (config.IouWeight > 0)
        {
            var iou = config.SuperviseAllIou
                ? Losses.IouPrediction(output.Iou.flatten(), binary.flatten(0, 1).unsqueeze(1), targets.repeat_interleave(m, 0))
                : Losses.IouPrediction(cat([.. trained.Select(t => t.Iou)]), cat([.. trained.Select(t => t.Mask)]), targets.repeat(trained.Count, 1, 1, 1));
            total = total.Plus(iou.Times(config.IouWeight));
            parts["iou"] = iou.item<float>();
        }
        if (output.ClassLogits is { } classLogits && batch.AnySemantic)
        {
            var ce = Losses.CrossEntropy(classLogits, batch.ClassIds);
            total = total.Plus(ce);
            parts["ce"] = ce.item<float>();
        }
        if (output.SemanticMask is { } semantic && batch.AnySemantic)
        {
            var semanticUp = Upsample(semantic, imageSize);
            // With every object semantic this is the plain mean (the paper's loss, bit for bit).
            Tensor Mean(Tensor perObject) => batch.AllSemantic ? perObject.mean() : (perObject * batch.Semantic).sum() / batch.Semantic.sum();
            var dice = Mean(Losses.DicePerMask(semanticUp, targets).mean([1]));
            total = total.Plus(dice);
            parts["sem_dice"] = dice.item<float>();
            if (config.Cmsa)
            {
                var cons = Mean(Losses.CrossMaskAlignmentPerMask(semanticUp, chosenMask));
                total = total.Plus(cons);
                parts["cmsa"] = cons.item<float>();
            }
        }
        if (output.PresenceLogits is { } presence && config.LambdaBce > 0)
        {
            var bce = Losses.PresenceBce(presence, batch.Presence);
            total = total.Plus(bce.Times(config.LambdaBce));
            parts["bce"] = bce.item<float>();
        }
        if (output.CategoryMasks is { } categoryMasks)
        {
            var map = Losses.SemanticMap(Upsample(categoryMasks, imageSize), batch.LabelMaps);
            total = total.Plus(map);
            parts["sem_map"] = map.item<float>();
        }
        parts["total"] = total.item<float>();
        return new LossTerms(total.MoveToOuterDisposeScope(), parts);
    }

    static Tensor Upsample(Tensor logits, int size) =>
        logits.shape[^1] == size
            ? logits
            : nn.functional.interpolate(logits, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
}
