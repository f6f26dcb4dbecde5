using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Evaluation;

/// <summary><see cref="SegSamEvaluator"/> on slices of another size than the model's input.</summary>
[Collection(Serial.Name)]
public class SegSamEvaluatorTests
{
    [Fact]
    public void SlicesOfAnotherSizeAreResizedForTheModelAndScoredAtTheirOwnSize()
    {
        manual_seed(3);
        using var model = new SegSamModel(TinySegSam.Config()); // 32² input
        var data = TinySegSam.Dataset(2, size: 64);
        var report = SegSamEvaluator.Evaluate(model, data, new EvaluationOptions { SurfaceDistances = false });

        // The same prompts through the predictor, each answer scored against the 64² truth.
        var expected = new List<(string Prompt, double Dice)>();
        var sampler = new PromptSampler(new EvaluationOptions().MinAreaFraction);
        using var predictor = new SegSamPredictor(model);
        foreach (var slice in data.Slices)
        {
            predictor.SetSlice(slice.Image, 64, 64);
            foreach (bool box in new[] { true, false })
            {
                var objects = sampler.TestObjects(slice, box);
                var answers = predictor.PredictBatch([.. objects.Select(o => o.Prompt)]);
                for (int i = 0; i < objects.Count; i++)
                {
                    Assert.Equal(64 * 64, answers[i].Mask.Length);
                    expected.Add((box ? "box" : "point", OverlapMetrics.Dice(answers[i].Mask, objects[i].Mask)));
                }
            }
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, report.Objects.Select(o => (o.Prompt, o.Dice)));
    }
}
