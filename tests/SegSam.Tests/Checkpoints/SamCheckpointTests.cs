using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using SegSam.Data;
using static TorchSharp.torch;

namespace SegSam.Tests.Checkpoints;

/// <summary>Loading SAM models from checkpoints: round trips, input-size adaptation, mismatch reports.</summary>
public class SamCheckpointTests
{
    static string FixtureDir => Fixtures.CaseDir("sam-parity", "tiny-a");

    [Fact]
    public void SafetensorsRoundTripGivesIdenticalOutputs()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 11);
        string path = dir.File("model.safetensors");
        SamCheckpoint.Save(model, path);
        Assert.True(File.Exists(dir.File("model.json")));

        // The config travels in the metadata: no --config needed.
        using var loaded = SamCheckpoint.Load(path);
        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        var rng = new Random(3);
        var pixels = new byte[64 * 48 * 3];
        rng.NextBytes(pixels);
        var image = RasterImage.FromBytes(64, 48, 3, pixels);
        var prompt = new SamPrompt { Points = [new PointPrompt(12, 30, 1)], Box = new BoxPrompt(2, 3, 40, 50) };
        using var p1 = new SamPredictor(model);
        using var p2 = new SamPredictor(loaded);
        p1.SetImage(image);
        p2.SetImage(image);
        var a = p1.Predict(prompt);
        var b = p2.Predict(prompt);
        Assert.Equal(a.Logits, b.Logits);
        Assert.Equal(a.Iou, b.Iou);
        Assert.Equal(a.LowResLogits, b.LowResLogits);
    }

    [Fact]
    public void PthCheckpointNeedsAConfigAndSaysHowToGiveOne()
    {
        var e = Assert.Throws<InvalidDataException>(() => SamCheckpoint.Load(Path.Combine(FixtureDir, "model.pth")));
        Assert.Contains("--model-type", e.Message);
    }

    [Fact]
    public void WrongModelTypeGivesAReadableDiff()
    {
        var e = Assert.Throws<CheckpointMismatchException>(() =>
            SamCheckpoint.Load(Path.Combine(FixtureDir, "model.pth"), TinyModels.Config()));
        Assert.Contains("model.pth", e.Message);
        Assert.Contains("shape mismatch", e.Message);
        Assert.Contains("image_encoder.patch_embed.proj.weight: checkpoint [64, 3, 8, 8], model [32, 3, 8, 8]", e.Message);
        Assert.NotEmpty(e.Report.ShapeMismatches);
    }

    [Fact]
    public void MissingAndUnexpectedKeysAreListed()
    {
        using var model = TinyModels.Create();
        using var weights = new StateDict();
        foreach (var (name, tensor) in model.state_dict()) weights.Add(name, tensor.clone());
        weights.Remove("mask_decoder.iou_token.weight");
        weights.Add("mask_decoder.extra.weight", zeros(3));
        using var target = TinyModels.Create(seed: 2);
        var e = Assert.Throws<CheckpointMismatchException>(() => SamCheckpoint.LoadWeights(target, weights, "w.safetensors"));
        Assert.Equal(["mask_decoder.iou_token.weight"], e.Report.Missing);
        Assert.Equal(["mask_decoder.extra.weight"], e.Report.Unexpected);
        // Nothing was copied by the failed strict load; a non-strict load copies what matches.
        var report = SamCheckpoint.LoadWeights(target, weights, "w.safetensors", strict: false);
        Assert.False(report.IsExact);
        var loaded = target.state_dict();
        Assert.True((loaded["image_encoder.pos_embed"] == weights["image_encoder.pos_embed"]).all().item<bool>());
    }

    [Fact]
    public void LoadingIntoALargerInputResizesPositionTablesLikePyTorch()
    {
        using var dir = new TempDir();
        // Expected values from real PyTorch: bilinear, align_corners=False.
        Python.Run($$"""
            import torch, numpy as np, torch.nn.functional as F
            sd = torch.load({{Py(Path.Combine(FixtureDir, "model.pth"))}}, map_location="cpu")
            pos = sd["image_encoder.pos_embed"].permute(0, 3, 1, 2)
            pos = F.interpolate(pos, (16, 16), mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
            np.save({{Py(dir.File("pos.npy"))}}, pos.contiguous().numpy())
            rel = sd["image_encoder.blocks.1.attn.rel_pos_h"][None, None]
            rel = F.interpolate(rel, (31, rel.shape[-1]), mode="bilinear", align_corners=False)[0, 0]
            np.save({{Py(dir.File("rel.npy"))}}, rel.contiguous().numpy())
            np.save({{Py(dir.File("win.npy"))}}, sd["image_encoder.blocks.0.attn.rel_pos_h"].numpy())
            """);
        var config = SamConfig.Load(Path.Combine(FixtureDir, "config.json"));
        config = config with { ImageEncoder = config.ImageEncoder with { ImgSize = 128 } };
        using var model = SamCheckpoint.Load(Path.Combine(FixtureDir, "model.pth"), config);
        var sd = model.state_dict();
        AssertEqual(dir.File("pos.npy"), sd["image_encoder.pos_embed"]);
        AssertEqual(dir.File("rel.npy"), sd["image_encoder.blocks.1.attn.rel_pos_h"]);
        AssertEqual(dir.File("win.npy"), sd["image_encoder.blocks.0.attn.rel_pos_h"]); // windowed: unchanged

        using var predictor = new SamPredictor(model);
        predictor.SetImage(RasterImage.Load(Path.Combine(FixtureDir, "image.npy")));
        var r = predictor.Predict(new SamPrompt { Points = [new PointPrompt(20, 20, 1)] });
        Assert.Equal(64, r.Height);
        Assert.Equal(64, r.LowResHeight); // 16×16 grid → 64×64 low-res
    }

    static void AssertEqual(string expectedNpy, Tensor actual)
    {
        var expected = NpyFile.Read(expectedNpy);
        Assert.Equal(expected.Shape, actual.shape);
        var a = NpyArray.FromTensor(actual).ToFloat32();
        var e = expected.ToFloat32();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-6, $"element {i}: {a[i]} vs PyTorch {e[i]}");
    }

    static string Py(string path) => "r'" + path + "'";
}
