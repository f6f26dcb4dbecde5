using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Modeling.Clip;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>`segsam train --model pgsam` and `segsam evaluate` on a PG-SAM model, as processes, on synthetic shapes.</summary>
public class PgSamCliTests
{
    static (string Data, string SegSam) Inputs(TempDir dir)
    {
        string data = dir.File("data");
        TinySegSam.Dataset(4, seed: 1).Save(Path.Combine(data, "train"));
        TinySegSam.Dataset(2, seed: 2).Save(Path.Combine(data, "test"));
        manual_seed(4);
        using var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true });
        string segsam = dir.File("segsam.safetensors");
        SegSamCheckpoint.Save(model, segsam);
        return (data, segsam);
    }

    [Fact]
    public void TrainsResumesAndEvaluatesAgainstPromptedSegSam()
    {
        using var dir = new TempDir();
        var (data, segsam) = Inputs(dir);
        string run = dir.File("run");
        var train = Support.Cli.Run("train", "--model", "pgsam", "--data", data, "--init", segsam, "--epochs", "1", "--batch", "2",
            "--warmup", "1", "--lr", "1e-3", "--out", run, "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("CLIP", train.StdErr);
        Assert.Equal(2, JsonDocument.Parse(train.StdOut).RootElement.GetProperty("Steps").GetInt32());
        var resumed = Support.Cli.Run("train", "--model", "pgsam", "--data", data, "--epochs", "2", "--batch", "2",
            "--warmup", "1", "--lr", "1e-3", "--out", run, "--resume", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(4, JsonDocument.Parse(resumed.StdOut).RootElement.GetProperty("Steps").GetInt32());

        string model = Path.Combine(run, "model.safetensors"), eval = dir.File("eval");
        var evaluate = Support.Cli.Run("evaluate", "--model", model, "--data", data, "--compare-segsam", segsam, "--out", eval, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        var root = JsonDocument.Parse(evaluate.StdOut).RootElement;
        Assert.True(root.TryGetProperty("pgsam", out _) && root.TryGetProperty("segsam_prompted", out _), evaluate.StdOut);
        foreach (var file in new[] { "comparison.md", "comparison.csv", "pgsam/metrics.json", "pgsam/categories.csv", "segsam_prompted/metrics.json" })
            Assert.True(File.Exists(Path.Combine(eval, file)), file);
        Assert.Contains("| disc |", File.ReadAllText(Path.Combine(eval, "comparison.md")));
    }

    [Fact]
    public void TrainsWithClipWeightsAndAblationSwitchesAndEvaluates()
    {
        using var dir = new TempDir();
        var (data, segsam) = Inputs(dir);
        string clip = dir.File("clip.safetensors");
        manual_seed(6);
        using (var weights = new ClipModel(Modeling.PgSamClipTests.TinyClip))
            ClipWeights.Save(weights, clip);
        string run = dir.File("run");
        var train = Support.Cli.Run("train", "--model", "pgsam", "--data", data, "--init", segsam, "--clip", clip, "--clip-lora-rank", "2",
            "--no-fusion", "--refine-iterations", "0", "--epochs", "1", "--batch", "2", "--warmup", "1", "--lr", "1e-3", "--out", run, "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("loaded CLIP", train.StdErr);
        Assert.DoesNotContain("without CLIP", train.StdErr);

        string model = Path.Combine(run, "model.safetensors");
        var config = PgSamModelCheckpoint.ReadConfig(model);
        Assert.True(config.Prior.ClipText && config.Prior.ClipImage);
        Assert.Equal(Modeling.PgSamClipTests.TinyClip, config.Prior.Clip);
        Assert.Equal(2, config.Prior.ClipLoraRank);
        Assert.False(config.Head.Fusion);
        Assert.Equal(0, config.Head.RefineIterations);
        using (var weights = CheckpointFile.Load(model))
        {
            Assert.Contains("clip.visual.conv1.weight", weights.Keys);
            Assert.Contains("clip.transformer.resblocks.0.attn.in_proj.linear_b_v.weight", weights.Keys);
        }

        var evaluate = Support.Cli.Run("evaluate", "--model", model, "--data", data, "--out", dir.File("eval"), "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.True(JsonDocument.Parse(evaluate.StdOut).RootElement.TryGetProperty("pgsam", out _), evaluate.StdOut);
    }

    [Fact]
    public void BadArgumentsAreOneClearLine()
    {
        using var dir = new TempDir();
        var (data, segsam) = Inputs(dir);
        string output = dir.File("out");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["train", "--model", "foo", "--data", data, "--out", output], 2, "--model 'foo' is unknown"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--fraction", "0"], 2, "fraction must lie in (0, 1]"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--variant", "full"], 2, "--variant does not apply to --model pgsam"),
            (["train", "--data", data, "--out", output, "--fraction", "0.1"], 2, "--fraction does not apply to --model segsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--classes", "lobes", "--init", segsam], 3, "--classes lobes needs the built-in AAL dataset"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--resume"], 3, "nothing to resume"),
            (["evaluate", "--model", segsam, "--data", data, "--compare-segsam", segsam], 2, "apply to PG-SAM models only"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--clip", dir.File("none.safetensors")], 3, "Download CLIP ViT-B/32 weights"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--clip", segsam, "--text-encoder", "hashing:8"], 2, "--clip and --text-encoder exclude each other"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--clip-lora-rank", "2"], 2, "--clip-lora-rank needs --clip"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--clip", segsam, "--no-prior"], 2, "which --no-prior turns off"),
            (["train", "--data", data, "--out", output, "--no-fusion"], 2, "--no-fusion does not apply to --model segsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--agnostic-share", "0.5"], 2, "--agnostic-share does not apply to --model pgsam"),
            (["train", "--data", data, "--out", output, "--agnostic-share", "1.5"], 2, "agnostic_share must lie in [0, 1]"),
            (["train", "--data", data, "--out", output, "--point-agnostic-share", "-0.1"], 2, "point_agnostic_share must lie in [0, 1]"),
            (["train", "--data", data, "--out", output, "--interior-clicks", "2"], 2, "interior_click_share must lie in [0, 1]"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--interior-clicks", "0.5"], 2, "--interior-clicks does not apply to --model pgsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--augment-contrast"], 2, "--augment-contrast does not apply to --model pgsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--reclassify-tissue"], 2, "--reclassify-tissue does not apply to --model pgsam"),
            (["train", "--data", data, "--out", output, "--init", segsam, "--reclassify-tissue", "--epochs", "1"], 3, "has no brain object map, which reclassify_tissue needs"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--box-candidates"], 2, "--box-candidates does not apply to --model pgsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--box-candidate-tokens"], 2, "--box-candidate-tokens does not apply to --model pgsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--supervise-all-iou"], 2, "--supervise-all-iou does not apply to --model pgsam"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--img-size", "256"], 2, "--img-size does not apply to --model pgsam"),
            (["train", "--data", data, "--out", output, "--img-size", "0"], 2, "--img-size 0 must be a positive multiple of the encoder's patch size 8"),
            (["train", "--data", data, "--out", output, "--agnostic-weights", "brain=-1"], 2, "'brain=-1' is not NAME=WEIGHT"),
            (["train", "--data", data, "--out", output, "--init", segsam, "--agnostic-weights", "no-such-map=2"], 3, "has no object map no-such-map"),
            (["train", "--model", "pgsam", "--data", data, "--out", output, "--train-only", "box_candidate_tokens"], 2, "--train-only does not apply to --model pgsam"),
            (["train", "--data", data, "--out", output, "--init", segsam, "--train-only", "sam.mask_decoder,decoder"], 2, "--train-only decoder: the model has no weight there"),
        ];
        foreach (var (args, code, message) in cases)
        {
            var result = Support.Cli.Run(args);
            Assert.True(result.ExitCode == code, $"{string.Join(' ', args)}: {result}");
            Assert.Contains(message, result.StdErr);
            Assert.Single(result.StdErr.Trim().Split('\n'), l => l.StartsWith("segsam: error", StringComparison.Ordinal));
        }
    }
}
