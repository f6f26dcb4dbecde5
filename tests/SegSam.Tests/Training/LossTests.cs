using SegSam;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary>Each loss against a value computed by hand (numbers worked out in the comments).</summary>
public class LossTests
{
    static Tensor T(float[] values, params long[] shape) => tensor(values, shape);

    [Fact]
    public void FocalMatchesTheFormula()
    {
        // logit 0 → p = 0.5; target 1: α_t = 0.25, (1 − p_t)² = 0.25, CE = ln 2 → 0.0625·ln 2.
        // logit ln 3 → p = 0.75; target 0: p_t = 0.25, α_t = 0.75, (0.75)² = 0.5625, CE = ln 4.
        using var logits = T([0f, (float)Math.Log(3)], 1, 1, 1, 2);
        using var targets = T([1f, 0f], 1, 1, 1, 2);
        double expected = (0.25 * 0.25 * Math.Log(2) + 0.75 * 0.5625 * Math.Log(4)) / 2;
        using var loss = Losses.Focal(logits, targets);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void DiceUsesTheSmoothedRatio()
    {
        // p = (0.5, 0.5, 0.5, 0.5), t = (1, 1, 0, 0): 1 − (2·1 + 1) / (2 + 2 + 1) = 0.4.
        using var logits = zeros(1, 1, 2, 2);
        using var targets = T([1f, 1f, 0f, 0f], 1, 1, 2, 2);
        using var loss = Losses.Dice(logits, targets);
        Assert.Equal(0.4, loss.item<float>(), 5);
        using var perMask = Losses.DicePerMask(zeros(2, 3, 2, 2), targets);
        Assert.Equal(new long[] { 2, 3 }, perMask.shape);
    }

    [Fact]
    public void IouHeadIsTrainedTowardsTheActualIou()
    {
        // Mask logits > 0 on 2 of 4 pixels, target on 3 pixels with 2 shared: IoU = 2/3.
        using var logits = T([1f, 1f, -1f, -1f], 1, 1, 2, 2);
        using var targets = T([1f, 1f, 1f, 0f], 1, 1, 2, 2);
        using var predicted = T([0.5f], 1);
        using var loss = Losses.IouPrediction(predicted, logits, targets);
        Assert.Equal(Math.Pow(0.5 - 2.0 / 3, 2), loss.item<float>(), 5);
    }

    [Fact]
    public void CrossMaskAlignmentIsOneMinusSoftIou()
    {
        // σ(a) = (0.5, 0.5), σ(b) = (0.5, 0.5): ∩ = 0.5, ∪ = 2·0.5·2 − 0.5 = 1.5 → 1 − 1/3.
        using var a = zeros(1, 1, 1, 2);
        using var b = zeros(1, 1, 1, 2);
        using var loss = Losses.CrossMaskAlignment(a, b);
        Assert.Equal(1 - 1.0 / 3, loss.item<float>(), 5);
        // Large equal logits: identical masks → 0.
        using var big = SafeMath.Full([1, 1, 1, 2], 20, ScalarType.Float32);
        using var same = Losses.CrossMaskAlignment(big, big);
        Assert.Equal(0, same.item<float>(), 4);
    }

    [Fact]
    public void CrossEntropyAndPresenceBce()
    {
        // Logits (0, ln 3) for class 1: softmax = (0.25, 0.75) → −ln 0.75.
        using var logits = T([0f, (float)Math.Log(3)], 1, 2);
        using var ids = tensor(new long[] { 1 });
        using var ce = Losses.CrossEntropy(logits, ids);
        Assert.Equal(-Math.Log(0.75), ce.item<float>(), 5);
        // BCE of logit 0 is ln 2 whatever the target.
        using var bce = Losses.PresenceBce(zeros(2, 3), T([1f, 0f, 1f, 0f, 0f, 1f], 2, 3));
        Assert.Equal(Math.Log(2), bce.item<float>(), 5);
    }

    [Fact]
    public void SemanticMapLossCombinesCrossEntropyAndDice()
    {
        // Two categories on a 1×2 image; all logits 0 (with the fixed background 0): every pixel
        // has probability 1/3 per class → CE = ln 3. Label map (1, 0): category 1 present, with
        // Σp = 2/3, Σt = 1, Σp·t = 1/3 → Dice = (2/3 + 1) / (2/3 + 1 + 1) = 0.625 → loss 0.375;
        // category 2 absent → not counted.
        using var logits = zeros(1, 2, 1, 2);
        using var map = tensor(new long[] { 1, 0 }, [1, 1, 2]);
        using var loss = Losses.SemanticMap(logits, map);
        Assert.Equal(Math.Log(3) + 0.375, loss.item<float>(), 5);
    }
}
