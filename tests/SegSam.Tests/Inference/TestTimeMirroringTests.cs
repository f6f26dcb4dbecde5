using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>
/// Test-time mirroring (SegSamPredictor.TestTimeMirroring) with a tiny random SEG-SAM whose
/// categories have left/right partners, a pixel stem and box candidates: the answer is the mean
/// of the plain answers on the slice and on its mirror, it is exactly mirror-equivariant, and the
/// session, the evaluation and batched passes take it through.
/// </summary>
[Collection(Serial.Name)]
public sealed class TestTimeMirroringTests : IDisposable
{
    const int Size = 32;
    static readonly string[] Categories = ["Putamen_L", "Putamen_R", "Thalamus", "Caudate_R", "Caudate_L"];
    readonly SegSamModel model;
    readonly float[] slice;

    public TestTimeMirroringTests()
    {
        manual_seed(11);
        model = new SegSamModel(SegSamConfig.Variant("full", TinySegSam.Config().Sam, Categories, textDim: 8) with
        {
            BoxPrior = true, BoxCandidates = true, HighResChannels = 4,
        });
        slice = TinySegSam.Dataset(1, Size, seed: 3).Slices[0].Image;
    }

    public void Dispose() => model.Dispose();

    /// <summary>A row-major image of <paramref name="width"/> columns mirrored left to right.</summary>
    static T[] Mirror<T>(T[] image, int width)
    {
        var mirrored = new T[image.Length];
        for (int i = 0; i < image.Length; i++) mirrored[i] = image[i - i % width + width - 1 - i % width];
        return mirrored;
    }

    static SamPrompt Mirror(SamPrompt p) => p with
    {
        Box = p.Box is { } b ? new BoxPrompt(Size - 1 - b.X1, b.Y0, Size - 1 - b.X0, b.Y1) : null,
        Points = [.. p.Points.Select(q => new PointPrompt(Size - 1 - q.X, q.Y, q.Label))],
    };

    /// <summary>Each category's partner: Putamen_L ↔ Putamen_R, Caudate_R ↔ Caudate_L, Thalamus itself.</summary>
    static readonly int[] Partner = [1, 0, 2, 4, 3];

    public static TheoryData<string> Prompts => ["box", "click", "clicks"];

    static SamPrompt PromptOf(string kind) => kind switch
    {
        "box" => new SamPrompt { Box = new BoxPrompt(3, 5, 17, 20) },
        "click" => new SamPrompt { Points = [new PointPrompt(9, 12, 1)] },
        _ => new SamPrompt { Points = [new PointPrompt(9, 12, 1), new PointPrompt(25, 4, 0)] },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void The_answer_is_the_mean_of_the_answers_on_the_slice_and_on_its_mirror(string kind)
    {
        var prompt = PromptOf(kind);
        using var plain = new SegSamPredictor(model);
        plain.SetSlice(slice, Size, Size);
        var direct = plain.Predict(prompt);
        plain.SetSlice(Mirror(slice, Size), Size, Size);
        var mirrored = plain.Predict(Mirror(prompt));

        using var mirroring = new SegSamPredictor(model) { TestTimeMirroring = true };
        mirroring.SetSlice(slice, Size, Size);
        var both = mirroring.Predict(prompt);

        // Low-res logits: the direct view's chosen mask and the mirrored view's, flipped back, averaged.
        int side = direct.LowResSide;
        var back = Mirror(mirrored.LowResLogits!, side);
        var expected = direct.LowResLogits!.Select((v, i) => (v + back[i]) / 2).ToArray();
        Assert.Equal(expected, both.LowResLogits!, new FloatTolerance(1e-4f, relative: true));
        Assert.Equal((direct.Iou + mirrored.Iou) / 2, both.Iou, 4);
        // Classes: the mean of the class logits, the mirrored view's …_L and …_R swapped back
        // (log-probabilities are the logits less a constant, which softmax ignores).
        var meanLogits = Enumerable.Range(0, Categories.Length)
            .Select(c => (Math.Log(direct.ClassProbabilities![c]) + Math.Log(mirrored.ClassProbabilities![Partner[c]])) / 2).ToArray();
        double total = meanLogits.Sum(Math.Exp);
        Assert.Equal(meanLogits.Select(l => (float)(Math.Exp(l) / total)), both.ClassProbabilities!, new FloatTolerance(1e-4f));
        // A mirror-symmetric model would not tell the two views apart; this random one does.
        Assert.NotEqual(direct.LowResLogits, both.LowResLogits);
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Mirroring_the_input_mirrors_the_answer_exactly(string kind)
    {
        var prompt = PromptOf(kind);
        using var mirroring = new SegSamPredictor(model) { TestTimeMirroring = true };
        mirroring.SetSlice(slice, Size, Size);
        var answer = mirroring.Predict(prompt);
        mirroring.SetSlice(Mirror(slice, Size), Size, Size);
        var onMirror = mirroring.Predict(Mirror(prompt));

        Assert.Equal(Mirror(answer.Mask, Size), onMirror.Mask);
        Assert.Equal(Mirror(answer.SemanticMask!, Size), onMirror.SemanticMask);
        Assert.Equal(Mirror(answer.LowResLogits!, answer.LowResSide), onMirror.LowResLogits);
        Assert.Equal(answer.Iou, onMirror.Iou);
        Assert.Equal(Categories[Partner[answer.ClassIndex!.Value]], onMirror.ClassName);
        Assert.Equal(Partner.Select(c => answer.ClassProbabilities![c]), onMirror.ClassProbabilities!, new FloatTolerance(1e-6f));

        // A refining prompt's mask input is mirrored with it.
        var refine = prompt with { Points = [.. prompt.Points, new PointPrompt(14, 14, 1)], Box = null, MaskInput = answer.LowResLogits };
        var refineMirrored = Mirror(prompt) with { Points = [.. Mirror(prompt).Points, new PointPrompt(Size - 1 - 14, 14, 1)], Box = null, MaskInput = onMirror.LowResLogits };
        var refinedOnMirror = mirroring.Predict(refineMirrored);
        mirroring.SetSlice(slice, Size, Size);
        var refined = mirroring.Predict(refine);
        Assert.Equal(Mirror(refined.Mask, Size), refinedOnMirror.Mask);
    }

    [Fact]
    public void Batched_passes_and_the_encoding_hold_both_views()
    {
        var prompts = new[] { new BoxPrompt(3, 5, 17, 20), new BoxPrompt(0, 0, 31, 31), new BoxPrompt(20, 2, 28, 30) }
            .Select(b => new SamPrompt { Box = b }).ToList();
        using var whole = new SegSamPredictor(model) { TestTimeMirroring = true };
        using var onePerPass = new SegSamPredictor(model) { TestTimeMirroring = true, PassBytes = 4 * Size * Size * sizeof(float) };
        Assert.Equal(1, onePerPass.PromptsPerPass(MaskOutputs.All, Size));
        whole.SetSlice(slice, Size, Size);
        onePerPass.SetSlice(slice, Size, Size);
        var together = whole.PredictBatch(prompts);
        var apart = onePerPass.PredictBatch(prompts);
        for (int i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(together[i].LowResLogits!, apart[i].LowResLogits!, new FloatTolerance(1e-5f, relative: true));
            Assert.Equal(together[i].ClassIndex, apart[i].ClassIndex);
        }

        using var plain = new SegSamPredictor(model);
        // A mirroring pass holds three sets of outputs (direct, mirrored, mean): a third of the prompts per pass.
        Assert.InRange(whole.PromptsPerPass(MaskOutputs.All, Size), plain.PromptsPerPass(MaskOutputs.All, Size) / 3 - 1, plain.PromptsPerPass(MaskOutputs.All, Size) / 3 + 1);
        using var one = plain.Encode(slice, Size, Size);
        using var two = whole.Encode(slice, Size, Size);
        Assert.Null(one.MirroredEmbedding);
        Assert.Equal(2 * one.Bytes, two.Bytes); // the embedding cache counts both views
        Assert.Equal(one.Embedding.data<float>().ToArray(), two.Embedding.data<float>().ToArray());
    }

    [Fact]
    public void The_session_and_the_evaluation_mirror_when_asked()
    {
        var volume = TinyPgSam.HuVolume(ni: 24, nj: 20, nk: 4);
        var prompt = new SlicePrompt(SliceAxis.Axial, 1, new SamPrompt { Box = new BoxPrompt(2, 3, 14, 15) });
        using var session = new SegmentationSession(volume, model, options: new SessionOptions { TestTimeMirroring = true });
        var answer = session.Prompt(prompt);
        var view = session.Slice(SliceAxis.Axial, 1);
        using var mirroring = new SegSamPredictor(model) { TestTimeMirroring = true };
        mirroring.SetSlice(view.Pixels, view.Height, view.Width);
        var direct = mirroring.Predict(prompt.Prompt);
        Assert.Equal(direct.Mask, answer.Prediction.Mask);
        Assert.Equal(direct.LowResLogits, answer.Prediction.LowResLogits);
        using var plainSession = new SegmentationSession(volume, model);
        Assert.NotEqual(answer.Prediction.LowResLogits, plainSession.Prompt(prompt).Prediction.LowResLogits);

        var shapes = TinySegSam.Dataset(2, Size, seed: 4);
        var data = new SliceDataset { Name = shapes.Name, Modality = shapes.Modality, Categories = Categories, PixelSpacing = shapes.PixelSpacing, Slices = shapes.Slices };
        var options = new EvaluationOptions { SurfaceDistances = false, TestTimeMirroring = true };
        var report = SegSamEvaluator.Evaluate(model, data, options);
        var objects = new PromptSampler(options.MinAreaFraction).TestObjects(data.Slices[0], box: true);
        mirroring.SetSlice(data.Slices[0].Image, Size, Size);
        var first = mirroring.Predict(objects[0].Prompt);
        var scored = report.Objects.First(o => o.Prompt == "box" && o.Source == data.Slices[0].Id);
        Assert.Equal(OverlapMetrics.Dice(first.Mask, objects[0].Mask), scored.Dice, 9);
        Assert.Equal(first.ClassName, scored.PredictedCategory);
    }

    [Fact]
    public void A_model_whose_config_mirrors_is_answered_mirrored_unless_told_otherwise()
    {
        using var mirroringModel = new SegSamModel(model.Config with { TestTimeMirroring = true });
        mirroringModel.load_state_dict(model.state_dict());
        var prompt = PromptOf("box");
        using var asked = new SegSamPredictor(model, testTimeMirroring: true);
        using var plain = new SegSamPredictor(model);
        Assert.False(plain.TestTimeMirroring);
        asked.SetSlice(slice, Size, Size);
        plain.SetSlice(slice, Size, Size);
        var mirrored = asked.Predict(prompt).LowResLogits;
        var direct = plain.Predict(prompt).LowResLogits;
        Assert.NotEqual(direct, mirrored);

        using var byDefault = new SegSamPredictor(mirroringModel);
        using var toldNot = new SegSamPredictor(mirroringModel, testTimeMirroring: false);
        Assert.True(byDefault.TestTimeMirroring);
        Assert.False(toldNot.TestTimeMirroring);
        byDefault.SetSlice(slice, Size, Size);
        toldNot.SetSlice(slice, Size, Size);
        Assert.Equal(mirrored, byDefault.Predict(prompt).LowResLogits);
        Assert.Equal(direct, toldNot.Predict(prompt).LowResLogits);

        // The session and the evaluation follow the model when their options say nothing.
        var volume = TinyPgSam.HuVolume(ni: 24, nj: 20, nk: 4);
        var slicePrompt = new SlicePrompt(SliceAxis.Axial, 1, prompt);
        using var defaultSession = new SegmentationSession(volume, mirroringModel);
        using var askedSession = new SegmentationSession(volume, model, options: new SessionOptions { TestTimeMirroring = true });
        using var plainSession = new SegmentationSession(volume, mirroringModel, options: new SessionOptions { TestTimeMirroring = false });
        using var modelPlainSession = new SegmentationSession(volume, model);
        Assert.Equal(askedSession.Prompt(slicePrompt).Prediction.LowResLogits, defaultSession.Prompt(slicePrompt).Prediction.LowResLogits);
        Assert.Equal(modelPlainSession.Prompt(slicePrompt).Prediction.LowResLogits, plainSession.Prompt(slicePrompt).Prediction.LowResLogits);

        var shapes = TinySegSam.Dataset(2, Size, seed: 4);
        var data = new SliceDataset { Name = shapes.Name, Modality = shapes.Modality, Categories = Categories, PixelSpacing = shapes.PixelSpacing, Slices = shapes.Slices };
        double MeanDice(SegSamModel m, bool? mirror) =>
            SegSamEvaluator.Evaluate(m, data, new EvaluationOptions { SurfaceDistances = false, TestTimeMirroring = mirror }).Objects.Average(o => o.Dice);
        Assert.Equal(MeanDice(model, true), MeanDice(mirroringModel, null), 12);
        Assert.Equal(MeanDice(model, null), MeanDice(mirroringModel, false), 12);
    }
}
