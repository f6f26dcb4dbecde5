using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>
/// `--mirror` / `--no-mirror` (test-time mirroring) through the real CLI: `evaluate` scores what the library scores with it,
/// a model whose config mirrors does so unless told `--no-mirror`; PG-SAM commands refuse `--mirror`.
/// </summary>
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
            SegSamCheckpoint.Save(fresh, path, new Dictionary<string, string> { ["segsam.steps"] = "7" });
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

        // A model whose config mirrors (trained with --flip-lr, or set so) mirrors without the flag; --no-mirror turns it off.
        string mirroring = dir.File("mirroring.safetensors");
        var set = Support.Cli.Run("checkpoint", "mirroring", path, "on", "--out", mirroring);
        Assert.True(set.ExitCode == 0, set.ToString());
        using (var copy = SegSamCheckpoint.Load(mirroring))
        {
            Assert.Equal((model.Config with { TestTimeMirroring = true }).ToJson(), copy.Config.ToJson());
            Assert.Equal("7", CheckpointFile.ReadMetadata(mirroring)["segsam.steps"]);
            var weights = copy.state_dict();
            foreach (var (name, value) in model.state_dict()) Assert.True(value.equal(weights[name]).all().item<bool>(), name);
        }
        var byDefault = Support.Cli.Run("evaluate", "--model", mirroring, "--data", data, "--no-surface", "--json");
        Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
        var off = Support.Cli.Run("evaluate", "--model", mirroring, "--data", data, "--no-surface", "--no-mirror", "--json");
        Assert.True(off.ExitCode == 0, off.ToString());
        foreach (var prompt in new[] { "box", "point" })
        {
            Assert.Equal(Mean(mirrored.StdOut, prompt), Mean(byDefault.StdOut, prompt), 9);
            Assert.Equal(Mean(plain.StdOut, prompt), Mean(off.StdOut, prompt), 9);
        }
        var text = Support.Cli.Run("evaluate", "--model", mirroring, "--data", data, "--no-surface", "--prompts", "box");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("test-time mirroring: on (the model's default)", text.StdOut);
        var both = Support.Cli.Run("evaluate", "--model", mirroring, "--data", data, "--mirror", "--no-mirror");
        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.Contains("give --mirror or --no-mirror, not both", both.StdErr);

        // Off again, in place; a bad state is a usage error, a file that is no SEG-SAM model an input error naming it.
        Assert.Equal(0, Support.Cli.Run("checkpoint", "mirroring", mirroring, "off").ExitCode);
        Assert.False(SegSamCheckpoint.ReadConfig(mirroring).TestTimeMirroring);
        var bad = Support.Cli.Run("checkpoint", "mirroring", mirroring, "maybe");
        Assert.True(bad.ExitCode == 2 && bad.StdErr.Contains("the state is on or off, got 'maybe'"), bad.ToString());
        string pgsam = Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.safetensors");
        var notSegSam = Support.Cli.Run("checkpoint", "mirroring", pgsam, "on", "--out", dir.File("x.safetensors"));
        Assert.True(notSegSam.ExitCode == 3 && notSegSam.StdErr.Contains(pgsam), notSegSam.ToString());

        // A missing file, a folder, an empty file and a truncated model are input errors naming the path; nothing is written.
        string empty = dir.File("empty.safetensors"), truncated = dir.File("truncated.safetensors");
        File.WriteAllBytes(empty, []);
        File.WriteAllBytes(truncated, File.ReadAllBytes(mirroring)[..5000]);
        foreach (var (input, message) in new[]
        {
            (dir.File("missing.safetensors"), "file not found"), (dir.Path, "is a folder"),
            (empty, "is empty"), (truncated, "not a recognised checkpoint"),
        })
        {
            var refused = Support.Cli.Run("checkpoint", "mirroring", input, "on", "--out", dir.File("y.safetensors"));
            Assert.True(refused.ExitCode == 3 && refused.StdErr.Contains($"{input}: ") && refused.StdErr.Contains(message), refused.ToString());
        }
        Assert.False(File.Exists(dir.File("y.safetensors")));
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
