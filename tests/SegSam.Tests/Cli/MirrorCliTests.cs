using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>`--mirror` (test-time mirroring) through the real CLI: `evaluate` scores what the library scores with it; PG-SAM commands refuse it.</summary>
[Collection(Serial.Name)]
public sealed class MirrorCliTests
{
    [Fact]
    public void Evaluate_with_mirror_scores_what_the_library_scores()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        var test = TinySegSam.Dataset(3, seed: 2);
        test.Save(Path.Combine(data, "test"));
        string path = dir.File("segsam.safetensors");
        manual_seed(6);
        using (var fresh = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true }))
            SegSamCheckpoint.Save(fresh, path);
        using var model = SegSamCheckpoint.Load(path);
        var stored = SliceDataset.LoadSplit(data, "test");

        double Mean(string json, string prompt) => JsonDocument.Parse(json).RootElement.GetProperty("overall").EnumerateArray()
            .First(o => o.GetProperty("group").GetString() == "all" && o.GetProperty("prompt").GetString() == prompt).GetProperty("dice").GetProperty("mean").GetDouble();
        var mirrored = Support.Cli.Run("evaluate", "--model", path, "--data", data, "--no-surface", "--mirror", "--json");
        Assert.True(mirrored.ExitCode == 0, mirrored.ToString());
        var plain = Support.Cli.Run("evaluate", "--model", path, "--data", data, "--no-surface", "--json");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var expected = SegSamEvaluator.Evaluate(model, stored, new EvaluationOptions { SurfaceDistances = false, TestTimeMirroring = true });
        foreach (var prompt in new[] { "box", "point" })
        {
            double library = expected.Objects.Where(o => o.Prompt == prompt).Average(o => o.Dice);
            Assert.Equal(library, Mean(mirrored.StdOut, prompt), 6);
        }
        Assert.NotEqual(Mean(plain.StdOut, "point"), Mean(mirrored.StdOut, "point"));
    }

    [Fact]
    public void PgSam_models_refuse_it()
    {
        using var dir = new TempDir();
        string pgsam = Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.safetensors");
        string data = dir.File("data");
        TinySegSam.Dataset(1, seed: 2).Save(Path.Combine(data, "test"));
        string ch2 = Path.Combine(AtlasDataset.DefaultTemplates, "ch2.nii.gz");
        foreach (var args in new[]
        {
            new[] { "evaluate", "--model", pgsam, "--data", data, "--mirror" },
            new[] { "segment", "--model", pgsam, "--image", ch2, "--out", dir.File("out"), "--mirror" },
        })
        {
            var result = Support.Cli.Run(args);
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', args)}: {result}");
            Assert.Contains("--mirror applies to SEG-SAM models", result.StdErr);
        }
    }
}
