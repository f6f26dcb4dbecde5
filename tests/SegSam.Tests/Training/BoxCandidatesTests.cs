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

    /// <summary>Every output of a decode on the tiny model's first slice, as flat arrays.</summary>
    static float[][] Decoded(SegSamModel model, MaskOutputs outputs, bool box, bool click)
    {
        var data = TinySegSam.Dataset(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (embedding, highRes) = model.EncodeImages(model.Sam.PreprocessSlices([data.Slices[0].Image], 32, 32));
        var coords = click ? tensor(new float[] { 9, 12 }, [1, 1, 2]) : null;
        var labels = click ? tensor(new[] { 1 }, [1, 1]) : null;
        var boxes = box ? tensor(new float[] { 1, 1, 20, 20 }, [1, 4]) : null;
        using var o = model.Decode(embedding, coords, labels, boxes, null, outputs, highRes);
        return [.. new[] { o.BinaryMasks, o.Iou, o.ClassLogits, o.SemanticMask }.OfType<Tensor>().Select(t => t.flatten().data<float>().ToArray())];
    }

    [Fact]
    public void Box_candidates_with_tokens_of_their_own_start_as_the_click_candidates_and_then_answer_boxes_alone()
    {
        manual_seed(3);
        using var shared = new SegSamModel(TinySegSam.Config() with { BoxCandidates = true });
        using var own = new SegSamModel(shared.Config with { BoxCandidateTokens = true });
        Assert.Contains("box candidates (own tokens)", own.Config.Describe());
        Assert.True(SegSamConfig.FromJson(own.Config.ToJson()).BoxCandidateTokens);
        var extra = own.state_dict().Keys.Except(shared.state_dict().Keys).ToList();
        Assert.NotEmpty(extra);
        Assert.All(extra, k => Assert.StartsWith(SegSamModel.BoxCandidateTokensPrefix, k));
        Assert.Empty(shared.state_dict().Keys.Except(own.state_dict().Keys));

        own.load_state_dict(shared.state_dict(), strict: false);
        own.BoxCandidateTokens!.CopyClickCandidates(own.Sam.MaskDecoder);
        var prompts = new (MaskOutputs Outputs, bool Box, bool Click)[]
        {
            (MaskOutputs.All, true, false), (MaskOutputs.Multiple, false, true), (MaskOutputs.Single, true, true), (MaskOutputs.Single, true, false),
        };
        // Copies of the click candidates: every answer, boxes' included, is the shared model's.
        foreach (var (outputs, box, click) in prompts)
        {
            var expected = Decoded(shared, outputs, box, click);
            var actual = Decoded(own, outputs, box, click);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], new FloatTolerance(1e-5f));
        }

        // Once the box tokens move, box candidates change and nothing else does.
        using (no_grad()) own.BoxCandidateTokens.TokenWeights.PlusInPlace(0.5);
        foreach (var (outputs, box, click) in prompts)
        {
            var expected = Decoded(shared, outputs, box, click);
            var actual = Decoded(own, outputs, box, click);
            if (outputs == MaskOutputs.All)
                Assert.NotEqual(expected[0][(expected[0].Length / 4)..], actual[0][(actual[0].Length / 4)..], new FloatTolerance(1e-5f));
            else
                for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], new FloatTolerance(1e-5f));
        }
    }

    [Fact]
    public void Box_candidate_tokens_need_box_candidates()
    {
        var error = Assert.ThrowsAny<Exception>(() => new SegSamModel(TinySegSam.Config() with { BoxCandidateTokens = true }));
        Assert.Contains("box_candidate_tokens needs box_candidates", error.Message);
    }
}
