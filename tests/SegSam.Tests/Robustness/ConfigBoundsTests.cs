using System.Text.Json.Nodes;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Tests.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Robustness;

/// <summary>
/// Configs that would make libtorch abort, overflow or allocate gigabytes (a corrupt or hostile
/// checkpoint's metadata, a mistyped --config) are refused by name before any module is built;
/// <see cref="ParameterFloor"/> is a true lower bound, so no real model is refused by it. Weights
/// that are NaN or infinite are refused at loading, by tensor name.
/// </summary>
[Collection(Serial.Name)]
public class ConfigBoundsTests
{
    static readonly string BundledJson = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "models", "segsam-atlas.json"));

    static string Mutated(string json, Action<JsonNode> change)
    {
        var node = JsonNode.Parse(json)!;
        change(node);
        return node.ToJsonString();
    }

    [Theory]
    [InlineData("image_encoder", "img_size", "2000000000", "img_size")]
    [InlineData("image_encoder", "img_size", "100000", "img_size")]
    [InlineData("image_encoder", "window_size", "100000", "window_size")]
    [InlineData("image_encoder", "mlp_ratio", "1e9", "mlp_ratio")]
    [InlineData("image_encoder", "depth", "100000", "depth")]
    [InlineData("image_encoder", "embed_dim", "8190", "parameters")]
    [InlineData("image_encoder", "in_chans", "5000", "5000")]
    [InlineData("mask_decoder", "transformer_depth", "100000", "transformer_depth")]
    [InlineData("mask_decoder", "transformer_mlp_dim", "0", "transformer_mlp_dim")]
    [InlineData("mask_decoder", "transformer_mlp_dim", "2000000000", "parameters")]
    [InlineData("mask_decoder", "num_multimask_outputs", "100000", "num_multimask_outputs")]
    [InlineData("mask_decoder", "iou_head_depth", "100000", "iou_head_depth")]
    [InlineData("mask_decoder", "iou_head_hidden_dim", "1000000", "parameters")]
    [InlineData("prompt_encoder", "mask_in_chans", "1000000", "mask_in_chans")]
    public void AbsurdSizesAreRefusedByName(string part, string field, string value, string expected)
    {
        string json = Mutated(BundledJson, c => c["sam"]![part]![field] = JsonNode.Parse(value));
        var e = Assert.Throws<InvalidDataException>(() => SegSamConfig.FromJson(json, "hostile.json"));
        Assert.StartsWith("hostile.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"sam": null}""", "sam must not be null")]
    [InlineData("""{"categories": null}""", "categories must not be null")]
    [InlineData("""{"sam": {"image_encoder": {"depth": "six"}}}""", "sam.image_encoder.depth has a value of the wrong type")]
    [InlineData("""{"categories": ["a", null]}""", "non-empty strings")]
    [InlineData("""{"categories": ["a", " "]}""", "non-empty strings")]
    [InlineData("""{"sam": {"pixel_mean": null}}""", "pixel_mean")]
    public void NullsAndBlankNamesAreRefusedByName(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SegSamConfig.FromJson(json, "nulls.json"));
        Assert.StartsWith("nulls.json: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("System.", e.Message);
    }

    [Theory]
    [InlineData("refine_iterations", 1_000_000_000, "refine_iterations")]
    [InlineData("depth", 100_000, "depth")]
    [InlineData("mlp_dim", 2_000_000_000, "parameters")]
    [InlineData("num_classes", 5_000_000, "num_classes")]
    public void AbsurdPgSamHeadsAreRefusedByName(string field, long value, string expected)
    {
        string json = Mutated(PgSamTrainingTests.TinyConfig().ToJson(), c => c["head"]![field] = value);
        var e = Assert.Throws<InvalidDataException>(() => PgSamModelConfig.FromJson(json, "pg.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NullPgSamPartsAreRefusedByName()
    {
        foreach (var part in new[] { "head", "prior", "categories", "image_encoder" })
        {
            string json = Mutated(PgSamTrainingTests.TinyConfig().ToJson(), c => c[part] = null);
            var e = Assert.Throws<InvalidDataException>(() => PgSamModelConfig.FromJson(json, "pg.json"));
            Assert.Contains(part, e.Message);
        }
    }

    [Theory]
    [InlineData("bogus", "unknown text encoder 'bogus'")]
    [InlineData("hashing:0", "the hashing dimension must be")]
    public void APgSamTextEncoderSpecIsCheckedWithTheConfig(string spec, string expected)
    {
        string json = Mutated(PgSamTrainingTests.TinyConfig().ToJson(), c => c["prior"]!["text_encoder"] = spec);
        var e = Assert.Throws<InvalidDataException>(() => PgSamModelConfig.FromJson(json, "pg.json"));
        Assert.StartsWith("pg.json: prior.text_encoder: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ACheckpointStoringFarLessThanItsConfigIsRefusedBeforeBuilding()
    {
        using var dir = new TempDir();
        string path = dir.File("claims-more.safetensors");
        manual_seed(1);
        var config = TinySegSam.Config();
        using (var tiny = new SegSamModel(config))
        {
            // The tiny model's weights under a config whose encoder is 200 blocks of width 512 (≈ 6 × 10⁸ values).
            var claimed = config with { Sam = config.Sam with { ImageEncoder = config.Sam.ImageEncoder with { EmbedDim = 512, Depth = 200 } } };
            SafeTensors.Write(path, tiny.state_dict(), new Dictionary<string, string> { [SegSamCheckpoint.ConfigMetadataKey] = claimed.ToJson() });
        }
        var e = Assert.Throws<CheckpointFormatException>(() => SegSamCheckpoint.Load(path).Dispose());
        Assert.Contains("claims-more.safetensors", e.Message);
        Assert.Contains("stores only", e.Message);
    }

    [Fact]
    public void ACheckpointWithANaNWeightIsRefusedByTensorName()
    {
        using var dir = new TempDir();
        string path = dir.File("diverged.safetensors");
        manual_seed(1);
        using (var tiny = new SegSamModel(TinySegSam.Config()))
        {
            using (no_grad()) tiny.state_dict()["sam.mask_decoder.iou_token.weight"][0, 3] = tensor(float.NaN);
            SegSamCheckpoint.Save(tiny, path);
        }
        var e = Assert.Throws<CheckpointFormatException>(() => SegSamCheckpoint.Load(path).Dispose());
        Assert.Contains("diverged.safetensors", e.Message);
        Assert.Contains("sam.mask_decoder.iou_token.weight", e.Message);
    }

    [Fact]
    public void TheFloorIsALowerBoundOfEveryPresetVariantAndBundledModel()
    {
        // Built on the meta device (shapes without memory); the Serial collection keeps other tests off it meanwhile.
        set_default_device(META);
        try
        {
            var configs = new List<(string Name, SegSamConfig Config)>
            {
                ("bundled", SegSamConfig.FromJson(BundledJson)),
            };
            foreach (var variant in SegSamConfig.VariantNames)
            {
                configs.Add(($"tiny/{variant}", TinySegSam.Config(variant)));
                foreach (var preset in SamConfig.PresetNames)
                    configs.Add(($"{preset}/{variant}", SegSamConfig.Variant(variant, SamConfig.Preset(preset), ["a", "b", "c"])));
            }
            foreach (var (name, config) in configs)
            {
                using var model = new SegSamModel(config);
                long stored = model.state_dict().Values.Sum(t => t.numel());
                Assert.True(ParameterFloor.SegSam(config) <= stored, $"{name}: floor {ParameterFloor.SegSam(config)} > {stored} stored values");
            }
            var pgConfigs = SamConfig.PresetNames.Select(p => PgSamModelConfig.FromSam(SamConfig.Preset(p), ["a", "b"], 512, new PgSamPriorConfig()))
                .Append(PgSamTrainingTests.TinyConfig())
                .Append(PgSamModelCheckpoint.ReadConfig(Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.safetensors")));
            foreach (var config in pgConfigs)
            {
                using var model = new PgSamModel(config);
                long stored = model.state_dict().Values.Sum(t => t.numel());
                Assert.True(ParameterFloor.PgSamModel(config) <= stored, $"PG-SAM {config.ImageEncoder.EmbedDim}: floor {ParameterFloor.PgSamModel(config)} > {stored}");
            }
        }
        finally
        {
            set_default_device(CPU);
        }
    }
}
