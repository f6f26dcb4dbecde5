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

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TheOracleScoresTheBestOfEachPromptsMasks(bool boxCandidates, bool mirror)
    {
        manual_seed(5);
        using var model = new SegSamModel(TinySegSam.Config() with { BoxCandidates = boxCandidates, BoxCandidateTokens = boxCandidates });
        var data = TinySegSam.Dataset(3);
        var options = new EvaluationOptions { SurfaceDistances = false, TestTimeMirroring = mirror };
        var plain = SegSamEvaluator.Evaluate(model, data, options);
        var report = SegSamEvaluator.Evaluate(model, data, options with { Oracle = true });

        // Scoring the oracle changes no answer, and only it fills the column.
        Assert.Equal(plain.Objects.Select(o => o.Dice), report.Objects.Select(o => o.Dice));
        Assert.All(plain.Objects, o => Assert.Null(o.OracleDice));
        Assert.All(plain.Overall, g => Assert.Null(g.OracleDice));

        var sampler = new PromptSampler(options.MinAreaFraction);
        using var predictor = new SegSamPredictor(model, mirror);
        var expected = new List<double>();
        foreach (var slice in data.Slices)
        {
            predictor.SetSlice(slice.Image, data.Height, data.Width);
            foreach (bool box in new[] { true, false })
            {
                var objects = sampler.TestObjects(slice, box);
                var answers = predictor.PredictBatch([.. objects.Select(o => o.Prompt)], candidates: true);
                for (int i = 0; i < objects.Count; i++)
                {
                    var candidates = Assert.IsAssignableFrom<IReadOnlyList<byte[]>>(answers[i].CandidateMasks);
                    Assert.Equal(box ? (boxCandidates ? 4 : 1) : 3, candidates.Count);
                    // Unmirrored, the answer is one of the candidates; mirrored, each view chooses its own.
                    if (!mirror) Assert.Contains(candidates, c => c.AsSpan().SequenceEqual(answers[i].Mask));
                    expected.Add(candidates.Append(answers[i].Mask).Max(c => OverlapMetrics.Dice(c, objects[i].Mask)));
                }
            }
        }
        Assert.Equal(expected, report.Objects.Select(o => o.OracleDice!.Value));
        Assert.All(report.Objects, o => Assert.True(o.OracleDice >= o.Dice));
        // An untrained decoder's candidates differ, so the best of them beats its choice somewhere.
        Assert.Contains(report.Objects, o => o.Prompt == "point" && o.OracleDice > o.Dice);
        foreach (var g in report.Overall)
            Assert.Equal(report.Objects.Where(o => o.Prompt == g.Prompt).Average(o => o.OracleDice!.Value), g.OracleDice!.Mean!.Value, 12);
    }
}
