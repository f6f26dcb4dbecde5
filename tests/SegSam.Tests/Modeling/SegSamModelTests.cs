using SegSam;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>SEG-SAM's parts, switch by switch, on a tiny config.</summary>
public class SegSamModelTests
{
    static SegSamModel Create(string variant, long seed = 3)
    {
        manual_seed(seed);
        return new SegSamModel(TinySegSam.Config(variant));
    }

    public static TheoryData<string> Variants => new(SegSamConfig.VariantNames);

    [Theory]
    [MemberData(nameof(Variants))]
    public void EachVariantProducesItsOutputs(string variant)
    {
        using var model = Create(variant);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var embedding = model.Sam.ImageEncoder.forward(rand(1, 1, 32, 32).Times(255).Minus(127.5).Over(64));
        var boxes = tensor(new float[] { 2, 3, 12, 14, 20, 20, 30, 29 }, [2, 4]);
        using var output = model.Decode(embedding, null, null, boxes, null, multimaskOutput: false);
        Assert.Equal(new long[] { 2, 1, 32, 32 }, output.BinaryMasks.shape); // 4 × the 8×8 grid
        Assert.Equal(new long[] { 2, 1 }, output.Iou.shape);
        var cfg = model.Config;
        Assert.Equal(cfg.IsSemantic, output.ClassLogits is not null);
        if (output.ClassLogits is { } c) Assert.Equal(new long[] { 2, 3 }, c.shape);
        Assert.Equal(cfg.SemanticDecoder.Enabled, output.SemanticMask is not null);
        if (output.SemanticMask is { } s) Assert.Equal(new long[] { 2, 1, 32, 32 }, s.shape);
        Assert.Equal(cfg.SemanticDecoder.Enabled && cfg.SemanticDecoder.Unprompted == UnpromptedMode.Classify, output.PresenceLogits is not null);
        if (output.PresenceLogits is { } p) Assert.Equal(new long[] { 2, 3 }, p.shape);
        Assert.Equal(cfg.SemanticDecoder.Enabled && cfg.SemanticDecoder.Unprompted == UnpromptedMode.Segment, output.CategoryMasks is not null);
        if (output.CategoryMasks is { } m) Assert.Equal(new long[] { 2, 3, 32, 32 }, m.shape);
        Assert.Equal(cfg.TextEnhancer.Enabled, model.TextEnhancer is not null);
    }

    [Fact]
    public void StateDictKeepsSamNamesUnderThePrefixAndNamesTheNewParts()
    {
        using var model = Create("full");
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("sam.image_encoder.patch_embed.proj.weight", keys);
        Assert.Contains("sam.mask_decoder.iou_token.weight", keys);
        Assert.Contains("semantic_decoder.so_token.weight", keys);
        Assert.Contains("semantic_decoder.category_tokens.co_tokens.weight", keys);
        Assert.Contains("semantic_decoder.presence_weight", keys);
        Assert.Contains("text_enhancer.text_embeddings", keys);
        Assert.Contains("text_enhancer.text_token.weight", keys);
        using var cls = Create("baseline_cls");
        Assert.Contains("cls_token.weight", cls.state_dict().Keys);
    }

    [Fact]
    public void TextEnhancementChangesOnlyTheBinaryDecoderInput()
    {
        // T2VSE appends a token for SAGD; SAWD reads t_p only, so its outputs must not move when
        // the text embeddings change, while SAGD's do.
        using var model = Create("full");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var embedding = randn(1, 16, 8, 8);
        var boxes = tensor(new float[] { 2, 3, 12, 14 }, [1, 4]);
        model.TextEnhancer!.SetTextEmbeddings(randn(3, 8));
        using var before = model.Decode(embedding, null, null, boxes, null, false);
        model.TextEnhancer.SetTextEmbeddings(randn(3, 8));
        using var after = model.Decode(embedding, null, null, boxes, null, false);
        Assert.False(before.BinaryMasks.allclose(after.BinaryMasks));
        Assert.True(before.SemanticMask!.allclose(after.SemanticMask!));
        Assert.True(before.ClassLogits!.allclose(after.ClassLogits!));
        Assert.Throws<ArgumentException>(() => model.TextEnhancer.SetTextEmbeddings(zeros(4, 8)));
    }

    [Fact]
    public void SavedModelReloadsWithIdenticalOutputs()
    {
        using var dir = new TempDir();
        using var model = Create("full");
        model.TextEnhancer!.SetTextEmbeddings(randn(3, 8));
        string path = dir.File("segsam.safetensors");
        SegSamCheckpoint.Save(model, path);
        using var loaded = SegSamCheckpoint.Load(path);
        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var image = rand(1, 1, 32, 32);
        var points = tensor(new float[] { 5, 6 }, [1, 1, 2]);
        var labels = ones([1, 1], dtype: ScalarType.Int32);
        using var a = model.Decode(model.Sam.ImageEncoder.forward(image), points, labels, null, null, true);
        using var b = loaded.Decode(loaded.Sam.ImageEncoder.forward(image), points, labels, null, null, true);
        Assert.True(a.BinaryMasks.equal(b.BinaryMasks).all().item<bool>());
        Assert.True(a.SemanticMask!.equal(b.SemanticMask!).all().item<bool>());
        Assert.True(a.ClassLogits!.equal(b.ClassLogits!).all().item<bool>());
    }

    [Fact]
    public void SamWeightsInitialiseTheSamPartOnly()
    {
        using var dir = new TempDir();
        using var sam = TinyModels.Create(TinySegSam.Config().Sam, seed: 9);
        SamCheckpoint.Save(sam, dir.File("sam.safetensors"));
        using var model = Create("sawd");
        var semanticBefore = model.state_dict()["semantic_decoder.so_token.weight"].clone();
        var report = SegSamCheckpoint.LoadSamWeights(model, dir.File("sam.safetensors"));
        Assert.True(report.IsExact);
        Assert.True(model.state_dict()["sam.image_encoder.pos_embed"].equal(sam.state_dict()["image_encoder.pos_embed"]).all().item<bool>());
        Assert.True(model.state_dict()["semantic_decoder.so_token.weight"].equal(semanticBefore).all().item<bool>());
    }

    [Fact]
    public void BoxPriorStartsFromTheBoxAndHighResFeaturesReachTheMasks()
    {
        manual_seed(5);
        using var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true, HighResChannels = 8 });
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = rand(2, 1, 32, 32);
        var (embedding, highRes) = model.EncodeImages(images);
        Assert.Equal(new long[] { 2, 2, 32, 32 }, highRes!.shape); // D/8 = 2 channels at 4× the 8×8 grid
        var boxes = tensor(new float[] { 4, 4, 11, 19, 0, 0, 31, 31 }, [2, 4]);
        using var withPixels = model.Decode(embedding, null, null, boxes, null, false, highRes);
        using var otherPixels = model.Decode(embedding, null, null, boxes, null, false, highRes.Times(3));
        Assert.False(withPixels.BinaryMasks.allclose(otherPixels.BinaryMasks));
        Assert.False(withPixels.SemanticMask!.allclose(otherPixels.SemanticMask!));
        Assert.Throws<ArgumentException>(() => model.Decode(embedding, null, null, boxes, null, false));

        // The prior alone: +s inside the box, −s outside (s = 2 at initialisation).
        using var plain = new SegSamModel(TinySegSam.Config("baseline"));
        using var prior = new SegSamModel(TinySegSam.Config("baseline") with { BoxPrior = true });
        foreach (var (name, tensor) in plain.state_dict()) prior.state_dict()[name].copy_(tensor);
        var e = plain.Sam.ImageEncoder.forward(images);
        using var a = plain.Decode(e, null, null, boxes, null, false);
        using var b = prior.Decode(e, null, null, boxes, null, false);
        var difference = (b.BinaryMasks - a.BinaryMasks)[0, 0];
        // Low-res grid = input grid here (32): pixel (x 5, y 10) lies in the box x 4..11, y 4..19; x 3 does not.
        Assert.Equal(2f, difference[10, 5].item<float>(), 4);
        Assert.Equal(-2f, difference[12, 3].item<float>(), 4);
    }

    [Theory]
    [InlineData("{\"sam\": {}, \"categories\": [], \"cls_token\": true, \"semantic_decoder\": {\"enabled\": false}}", "at least one category")]
    [InlineData("{\"sam\": {}, \"categories\": [\"a\", \"a\"]}", "unique")]
    [InlineData("{\"sam\": {}, \"categories\": [\"a\"], \"cls_token\": true}", "cls_token")]
    [InlineData("{\"sam\": {}, \"categories\": [\"a\"], \"semantic_decoder\": {\"unprompted\": \"maybe\"}}", "not a valid")]
    public void InvalidSegSamConfigsAreRejected(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SegSamConfig.FromJson(json, "segsam.json"));
        Assert.Contains("segsam.json", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
