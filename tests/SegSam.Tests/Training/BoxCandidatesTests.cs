using SegSam.Data;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary>
/// Box candidates: a box trains SAM's single answer and its least-loss candidate, the IoU head
/// learns every mask with SuperviseAllIou, and a model with them answers a box with the mask of
/// highest predicted IoU among all four.
/// </summary>
// Models are seeded through libtorch's process-wide generator.
[Collection(Serial.Name)]
public class BoxCandidatesTests
{
    /// <summary>Two prompted squares of the synthetic data and free-standing mask/IoU outputs for them (P×4).</summary>
    static (TrainingBatch Batch, Tensor Masks, Tensor Iou) Outputs()
    {
        var data = TinySegSam.Dataset(2);
        var objects = Enumerable.Range(0, 2).Select(row =>
        {
            var mask = data.Slices[row].Mask(1);
            return (row, new PromptedObject(1, new SamPrompt { Box = PromptSampler.ExactBox(mask, 32, 32) }, mask));
        }).ToList();
        var batch = TrainingBatch.Build(data, [0, 1], objects, 3, CPU);
        manual_seed(11);
        var masks = randn(2, 4, 8, 8).Times(3).requires_grad_(true);
        var iou = rand(2, 4).requires_grad_(true);
        return (batch, masks, iou);
    }

    static float GradientOf(Tensor t, int prompt, int token) => t.grad![prompt, token].abs().sum().item<float>();

    [Fact]
    public void A_box_trains_the_single_answer_and_the_least_loss_candidate()
    {
        var (batch, masks, iou) = Outputs();
        using (batch)
        using (var output = new SegSamOutput(masks, iou, null, null, null, null))
        {
            var loss = SegSamLoss.Compute(output, batch, new TrainingConfig(), 32, MaskOutputs.All);
            loss.Total.backward();

            using var noGrad = no_grad();
            var up = nn.functional.interpolate(masks, size: [32, 32], mode: InterpolationMode.Bilinear, align_corners: false);
            var perMask = Losses.FocalPerMask(up, batch.Masks).Times(20).Plus(Losses.DicePerMask(up, batch.Masks));
            var best = perMask[.., 1..].argmin(1).data<long>().ToArray();
            double expected = perMask[.., 0].mean().item<float>() + perMask[.., 1..].min(1).values.mean().item<float>();
            Assert.Equal(expected, loss.Parts["bin"], 4);
            for (int p = 0; p < 2; p++)
            {
                Assert.True(GradientOf(masks, p, 0) > 0, "the single answer learns");
                for (int c = 1; c < 4; c++)
                    Assert.Equal(c == best[p] + 1, GradientOf(masks, p, c) > 0);
                // Without SuperviseAllIou the IoU head learns the two masks trained, not the others.
                for (int t = 0; t < 4; t++)
                    Assert.Equal(t == 0 || t == best[p] + 1, iou.grad![p, t].abs().item<float>() > 0);
            }
        }
    }

    [Fact]
    public void Supervising_every_IoU_trains_each_prediction()
    {
        var (batch, masks, iou) = Outputs();
        using (batch)
        using (var output = new SegSamOutput(masks, iou, null, null, null, null))
        {
            SegSamLoss.Compute(output, batch, new TrainingConfig { SuperviseAllIou = true }, 32, MaskOutputs.All).Total.backward();
            for (int p = 0; p < 2; p++)
            for (int t = 0; t < 4; t++)
                Assert.True(iou.grad![p, t].abs().item<float>() > 0, $"IoU {t} of prompt {p} learnt nothing");
        }
    }

    [Fact]
    public void Without_box_candidates_the_loss_is_the_single_answers_as_before()
    {
        var (batch, masks, iou) = Outputs();
        using (batch)
        using (var single = new SegSamOutput(masks[.., ..1], iou[.., ..1], null, null, null, null))
        {
            var implicitly = SegSamLoss.Compute(single, batch, new TrainingConfig(), 32);
            var named = SegSamLoss.Compute(single, batch, new TrainingConfig(), 32, MaskOutputs.Single);
            Assert.Equal(implicitly.Parts["bin"], named.Parts["bin"]);
            Assert.Equal(implicitly.Parts["iou"], named.Parts["iou"]);
        }
    }

    [Fact]
    public void A_model_with_box_candidates_answers_a_box_with_the_mask_of_highest_predicted_IoU()
    {
        var data = TinySegSam.Dataset(1);
        var box = new BoxPrompt(1, 1, 20, 20);
        manual_seed(3);
        using var plain = new SegSamModel(TinySegSam.Config());
        manual_seed(3);
        using var candidates = new SegSamModel(TinySegSam.Config() with { BoxCandidates = true });
        Assert.Contains("box candidates", candidates.Config.Describe());
        Assert.True(SegSamConfig.FromJson(candidates.Config.ToJson()).BoxCandidates);

        // The four masks and IoUs of the decoder, straight from the model (slice = model frame at 32 px).
        candidates.eval();
        float[] iou;
        float[][] lowRes;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (embedding, highRes) = candidates.EncodeImages(candidates.Sam.PreprocessSlices([data.Slices[0].Image], 32, 32));
            using var all = candidates.Decode(embedding, null, null, tensor(new float[] { 1, 1, 20, 20 }, [1, 4]), null, MaskOutputs.All, highRes);
            Assert.Equal(4, all.BinaryMasks.shape[1]);
            iou = all.Iou[0].data<float>().ToArray();
            lowRes = Enumerable.Range(0, 4).Select(t => all.BinaryMasks[0, t].flatten().data<float>().ToArray()).ToArray();
        }
        int best = Array.IndexOf(iou, iou.Max());

        using var withCandidates = new SegSamPredictor(candidates);
        withCandidates.SetSlice(data.Slices[0].Image, 32, 32);
        var answer = withCandidates.Predict(new SamPrompt { Box = box });
        Assert.Equal(iou[best], answer.Iou, 5);
        Assert.Equal(lowRes[best], answer.LowResLogits!, new FloatTolerance(1e-4f));

        using var single = new SegSamPredictor(plain);
        single.SetSlice(data.Slices[0].Image, 32, 32);
        var plainAnswer = single.Predict(new SamPrompt { Box = box });
        Assert.Equal(iou[0], plainAnswer.Iou, 5);
        Assert.Equal(lowRes[0], plainAnswer.LowResLogits!, new FloatTolerance(1e-4f));
        // A box with a click stays SAM's single answer (the candidates learnt boxes alone).
        var boxAndClick = withCandidates.Predict(new SamPrompt { Box = box, Points = [new PointPrompt(5, 5, 1)] });
        Assert.Equal(single.Predict(new SamPrompt { Box = box, Points = [new PointPrompt(5, 5, 1)] }).Iou, boxAndClick.Iou, 5);
    }
}
