using SegSam;
using SegSam.Modeling;
using SegSam.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>Parameter counts of the released sizes, module output shapes, and the config schema.</summary>
[Collection(Serial.Name)]
public class ModelShapeTests
{
    [Theory]
    [InlineData("vit_b", 89_670_912L)]
    [InlineData("vit_l", 308_278_272L)]
    [InlineData("vit_h", 637_026_048L)]
    public void ReleasedPresetsHaveTheReferenceParameterCounts(string preset, long encoderParams)
    {
        // Built on the meta device: shapes without allocating gigabytes.
        set_default_device(META);
        try
        {
            using var model = new SamModel(SamConfig.Preset(preset));
            Assert.Equal(encoderParams, model.ImageEncoder.parameters().Sum(p => p.numel()));
            Assert.Equal(6_220L, model.PromptEncoder.parameters().Sum(p => p.numel()));
            Assert.Equal(4_058_340L, model.MaskDecoder.parameters().Sum(p => p.numel()));
        }
        finally
        {
            set_default_device(CPU);
        }
    }

    [Fact]
    public void StateDictKeysAreTheReferenceNames()
    {
        set_default_device(META);
        try
        {
            using var model = new SamModel(SamConfig.Preset("vit_b"));
            var keys = model.state_dict().Keys.ToHashSet();
            string[] expected =
            [
                "image_encoder.pos_embed", "image_encoder.patch_embed.proj.weight",
                "image_encoder.blocks.0.attn.qkv.weight", "image_encoder.blocks.2.attn.rel_pos_h",
                "image_encoder.blocks.11.mlp.lin2.bias", "image_encoder.neck.0.weight", "image_encoder.neck.3.bias",
                "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", "prompt_encoder.point_embeddings.3.weight",
                "prompt_encoder.not_a_point_embed.weight", "prompt_encoder.mask_downscaling.6.bias", "prompt_encoder.no_mask_embed.weight",
                "mask_decoder.transformer.layers.0.self_attn.q_proj.weight",
                "mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.bias",
                "mask_decoder.transformer.final_attn_token_to_image.v_proj.weight", "mask_decoder.transformer.norm_final_attn.weight",
                "mask_decoder.iou_token.weight", "mask_decoder.mask_tokens.weight", "mask_decoder.output_upscaling.3.weight",
                "mask_decoder.output_hypernetworks_mlps.0.layers.0.weight", "mask_decoder.iou_prediction_head.layers.2.bias",
            ];
            foreach (var key in expected) Assert.Contains(key, keys);
            Assert.DoesNotContain("pixel_mean", keys);
            // The reference vit_b state_dict has 16 (encoder top) + 12×14 + … entries; all ours are named like it.
            Assert.All(keys, k => Assert.Matches(@"^(image_encoder|prompt_encoder|mask_decoder)\.", k));
        }
        finally
        {
            set_default_device(CPU);
        }
    }

    [Fact]
    public void ModulesProduceTheDocumentedShapes()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var image = rand(2, 3, 64, 64);
        var embedding = model.ImageEncoder.forward(image);
        Assert.Equal(new long[] { 2, 16, 8, 8 }, embedding.shape);

        var points = rand(2, 3, 2).Times(64);
        var labels = tensor(new[] { 1, 0, 1, 1, 1, 0 }, [2, 3]);
        var (sparse, dense) = model.PromptEncoder.forward(points, labels, null, null);
        Assert.Equal(new long[] { 2, 4, 16 }, sparse.shape); // 3 points + padding point
        Assert.Equal(new long[] { 2, 16, 8, 8 }, dense.shape);

        var boxes = tensor(new float[] { 1, 2, 30, 40, 5, 5, 60, 60 }, [2, 4]);
        var masks = randn(2, 1, 32, 32);
        (sparse, dense) = model.PromptEncoder.forward(points, labels, boxes, masks);
        Assert.Equal(new long[] { 2, 5, 16 }, sparse.shape); // 3 points + 2 corners, no padding
        Assert.Equal(new long[] { 2, 16, 8, 8 }, dense.shape);

        var pe = model.PromptEncoder.GetDensePe();
        Assert.Equal(new long[] { 1, 16, 8, 8 }, pe.shape);
        var (lowRes, iou) = model.MaskDecoder.forward(embedding, pe, sparse, dense, multimaskOutput: true);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, lowRes.shape);
        Assert.Equal(new long[] { 2, 3 }, iou.shape);
        (lowRes, iou) = model.MaskDecoder.forward(embedding[..1], pe, sparse, dense, multimaskOutput: false);
        Assert.Equal(new long[] { 2, 1, 32, 32 }, lowRes.shape);
        Assert.Equal(new long[] { 2, 1 }, iou.shape);

        var full = model.PostprocessMasks(lowRes, (48, 64), (96, 128));
        Assert.Equal(new long[] { 2, 1, 96, 128 }, full.shape);
    }

    [Fact]
    public void WindowPartitionPadsAndUnpartitionRestores()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 7, 5, 4);
        var (windows, padded) = VitBlock.WindowPartition(x, 3);
        Assert.Equal((9L, 6L), padded);
        Assert.Equal(new long[] { 2 * 3 * 2, 3, 3, 4 }, windows.shape);
        var back = VitBlock.WindowUnpartition(windows, 3, padded, (7, 5));
        Assert.True((back == x).all().item<bool>());
    }

    [Fact]
    public void EncoderRejectsWrongInputSize()
    {
        using var model = TinyModels.Create();
        using var image = rand(1, 3, 32, 32);
        var e = Assert.Throws<ArgumentException>(() => model.ImageEncoder.forward(image));
        Assert.Contains("1×3×64×64", e.Message.Replace("B×", "1×"));
    }

    [Fact]
    public void ConfigJsonRoundTripsWithSnakeCaseKeys()
    {
        var config = SamConfig.Preset("vit_b_256");
        string json = config.ToJson();
        Assert.Contains("\"global_attn_indexes\"", json);
        Assert.Contains("\"num_multimask_outputs\"", json);
        var back = SamConfig.FromJson(json);
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Equal(256, back.ImageEncoder.ImgSize);
        Assert.Equal(16, back.ImageEncoder.GridSize);
    }

    [Fact]
    public void FixtureConfigParses()
    {
        var config = SamConfig.Load(Path.Combine(Fixtures.CaseDir("sam-parity", "tiny-a"), "config.json"));
        Assert.Equal(64, config.ImageEncoder.ImgSize);
        Assert.Equal([1, 3], config.ImageEncoder.GlobalAttnIndexes);
    }

    [Theory]
    [InlineData("{\"image_encoder\": {\"img_size\": 100, \"patch_size\": 16}}", "multiple of patch_size")]
    [InlineData("{\"image_encoder\": {\"embed_dim\": 100, \"num_heads\": 12}}", "divisible by num_heads")]
    [InlineData("{\"prompt_encoder\": {\"embed_dim\": 128}}", "must equal prompt_encoder.embed_dim")]
    [InlineData("{\"image_encoder\": {\"global_attn_indexes\": [12]}}", "global_attn_indexes")]
    [InlineData("{\"pixel_mean\": [1, 2]}", "pixel_mean")]
    [InlineData("{\"image_encoder\": {\"img_sise\": 64}}", "img_sise")]
    [InlineData("not json", "not a valid model config")]
    public void InvalidConfigsAreRejectedWithTheFieldNamed(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SamConfig.FromJson(json, "my.json"));
        Assert.Contains("my.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownPresetNamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => SamConfig.Preset("vit_x"));
        Assert.Contains("vit_b_256", e.Message);
    }
}
