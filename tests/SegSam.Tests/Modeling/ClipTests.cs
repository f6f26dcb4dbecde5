using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Modeling.Clip;
using SegSam.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// CLIP ViT towers against OpenAI's clip/model.py (tests/fixtures/clip-parity/tiny, made by
/// scripts/make_clip_fixture.py), the loaders in both namings, LoRA on the text blocks, saving.
/// </summary>
public class ClipTests(ITestOutputHelper output)
{
    static string Dir => Path.Combine(Fixtures.RepoFixtures, "clip-parity", "tiny");
    static string FixtureFile(string name) => Path.Combine(Dir, name);
    static ClipConfig TinyConfig => ClipConfig.Load(FixtureFile("config.json"));
    static Tensor Npy(string name) => NpyFile.Read(FixtureFile(name)).ToTensor();

    /// <summary>Max |a − b| and that over max |reference|.</summary>
    static (double Abs, double Rel) Diff(Tensor actual, Tensor reference)
    {
        Assert.Equal(reference.shape, actual.shape);
        using var delta = actual.detach().sub(reference);
        using var absDelta = delta.abs();
        using var maxDelta = absDelta.max();
        using var refAbs = reference.abs();
        using var maxRef = refAbs.max();
        double abs = maxDelta.item<float>();
        return (abs, abs / maxRef.item<float>());
    }

    static void AssertClose(Tensor actual, Tensor reference, double relTol, string what)
    {
        var (abs, rel) = Diff(actual, reference);
        Assert.True(rel <= relTol, $"{what}: max |diff| {abs:E3} = {rel:E3} of max |reference| exceeds {relTol:E1}");
    }

    (double Abs, double Rel) Report(string what, Tensor actual, Tensor reference)
    {
        var d = Diff(actual, reference);
        output.WriteLine($"{what}: max |diff| {d.Abs:E3}, relative to max |ref| {d.Rel:E3}");
        return d;
    }

    static (Tensor Image, Tensor Text) Encode(ClipModel model) => (ImageFeatures(model), TextFeatures(model));

    static Tensor ImageFeatures(ClipModel model)
    {
        using var images = Npy("images.npy");
        using var _ = no_grad();
        return model.EncodeImage(images);
    }

    static Tensor TextFeatures(ClipModel model)
    {
        using var ids = Npy("ids.npy");
        using var _ = no_grad();
        return model.EncodeText(ids);
    }

    /// <summary>Same shape and bit-identical values.</summary>
    internal static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }

    /// <summary>p ← N(0, 1)·scale, in place.</summary>
    static void Randomise(Parameter p, double scale)
    {
        using var _ = no_grad();
        using var r = randn(p.shape);
        using var scaled = r.Times(scale);
        p.copy_(scaled);
    }

    void AssertReproducesReference(ClipModel model, string label)
    {
        using var images = Npy("images.npy");
        using var ids = Npy("ids.npy");
        using var expectedImage = Npy("image_features.npy");
        using var expectedText = Npy("text_features.npy");
        using var expectedLogits = Npy("logits_per_image.npy");
        using var _ = no_grad();
        using var image = model.EncodeImage(images);
        using var text = model.EncodeText(ids);
        var (perImage, perText) = model.Logits(images, ids);
        using (perImage)
        using (perText)
        {
            var worst = new[]
            {
                Report($"{label} image features", image, expectedImage),
                Report($"{label} text features", text, expectedText),
                Report($"{label} logits per image", perImage, expectedLogits),
            };
            using var transposed = expectedLogits.t();
            Report($"{label} logits per text", perText, transposed);
            Assert.All(worst, d => Assert.True(d.Rel <= 1e-5, $"{label}: relative difference {d.Rel:E3} exceeds 1e-5"));
        }
    }

    [Fact]
    public void TinyClipReproducesOpenAiClipFromOpenAiNamedSafetensors()
    {
        using var model = ClipWeights.Load(FixtureFile("openai.safetensors"), TinyConfig);
        AssertReproducesReference(model, "openai.safetensors");
    }

    [Fact]
    public void TinyClipReproducesOpenAiClipFromHuggingFaceNamedSafetensors()
    {
        using var weights = ClipWeights.Read(FixtureFile("hf.safetensors"), out var naming, out _);
        Assert.Equal(ClipNaming.HuggingFace, naming);
        using var model = ClipWeights.Load(FixtureFile("hf.safetensors"), TinyConfig);
        AssertReproducesReference(model, "hf.safetensors");
    }

    [Fact]
    public void HuggingFaceConversionGivesExactlyTheOpenAiTensors()
    {
        using var openai = ClipWeights.Read(FixtureFile("openai.safetensors"), out var n1, out _);
        using var hf = ClipWeights.Read(FixtureFile("hf.safetensors"), out var n2, out _);
        Assert.Equal(ClipNaming.OpenAi, n1);
        Assert.Equal(ClipNaming.HuggingFace, n2);
        Assert.Equal(openai.Keys.OrderBy(k => k, StringComparer.Ordinal), hf.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var name in openai.Keys) Assert.True(Same(openai[name], hf[name]), $"{name} differs after conversion");
    }

    [Fact]
    public void TinyClipLoadsFromATorchSaveStateDict()
    {
        // state_dict.pth also holds input_resolution, context_length and vocab_size, as the state
        // dict of OpenAI's TorchScript release does; they are not weights.
        using var model = ClipWeights.Load(FixtureFile("state_dict.pth"), TinyConfig);
        AssertReproducesReference(model, "state_dict.pth");
    }

    [Fact]
    public void TowersLoadedAloneGiveTheModelsFeatures()
    {
        using var text = ClipWeights.LoadText(FixtureFile("hf.safetensors"), TinyConfig);
        using var image = ClipWeights.LoadImage(FixtureFile("openai.safetensors"), TinyConfig);
        using var images = Npy("images.npy");
        using var ids = Npy("ids.npy");
        using var _ = no_grad();
        using var t = text.forward(ids);
        using var i = image.forward(images);
        using var expectedText = Npy("text_features.npy");
        using var expectedImage = Npy("image_features.npy");
        AssertClose(t, expectedText, 1e-5, "text tower");
        AssertClose(i, expectedImage, 1e-5, "image tower");
        // int32 ids, as clip.tokenize returns them, give the same features.
        using var ids32 = ids.to(ScalarType.Int32);
        using var t32 = text.forward(ids32);
        Assert.True(Same(t32, t));
    }

    [Fact]
    public void StateDictNamesAreOpenAisExceptTheFusedProjection()
    {
        using var model = new ClipModel(TinyConfig);
        var ours = model.state_dict().Keys.Select(ClipNames.ToOpenAi).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var theirs = SafeTensors.Inspect(FixtureFile("openai.safetensors")).Select(t => t.Name).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(theirs, ours);
        Assert.Contains("visual.transformer.resblocks.1.attn.in_proj.weight", model.state_dict().Keys);
        Assert.Contains("token_embedding.weight", model.state_dict().Keys);
        Assert.Contains("logit_scale", model.state_dict().Keys);
    }

    [Fact]
    public void ConfigIsInferredFromShapesAsTheReferenceDoes()
    {
        // Heads are width / 64 in the reference: the tiny model's 32- and 24-wide towers need a config.
        var shapes = SafeTensors.Inspect(FixtureFile("openai.safetensors")).ToDictionary(t => t.Name, t => t.Shape);
        var e = Assert.Throws<CheckpointFormatException>(() => ClipWeights.InferConfig(shapes, "tiny.safetensors"));
        Assert.Contains("tiny.safetensors", e.Message);
        Assert.Contains("pass a ClipConfig", e.Message);

        // The same shapes with 64-wide heads: everything else comes from the tensors.
        var wide = TinyConfig with { VisionWidth = 128, VisionHeads = 2, TransformerWidth = 192, TransformerHeads = 3 };
        using (var model = new ClipModel(wide))
        {
            var modelShapes = model.state_dict().ToDictionary(kv => ClipNames.ToOpenAi(kv.Key), kv => kv.Value.shape);
            Assert.Equal(wide, ClipWeights.InferConfig(modelShapes, "wide"));
        }
    }

    [Fact]
    public void ConfigJsonRoundTripsAndValidates()
    {
        var c = TinyConfig;
        Assert.Equal(c, ClipConfig.FromJson(c.ToJson()));
        Assert.Contains("\"transformer_width\": 24", c.ToJson());
        Assert.Equal(ClipConfig.ViTB32, ClipConfig.FromJson(ClipConfig.ViTB32.ToJson()));
        var e = Assert.Throws<InvalidDataException>(() => (c with { TransformerHeads = 5 }).Validate("x.json"));
        Assert.Contains("x.json", e.Message);
        Assert.Contains("transformer_heads", e.Message);
        e = Assert.Throws<InvalidDataException>(() => (c with { ImageResolution = 30 }).Validate("x.json"));
        Assert.Contains("vision_patch_size", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ClipConfig.FromJson("{\"embed_dims\": 3}", "typo.json"));
        Assert.Contains("typo.json", e.Message);
    }

    [Fact]
    public void ViTB32PresetIsOpenAisModel()
    {
        var c = ClipConfig.ViTB32;
        Assert.Equal((512, 224, 12, 768, 32, 12), (c.EmbedDim, c.ImageResolution, c.VisionLayers, c.VisionWidth, c.VisionPatchSize, c.VisionHeads));
        Assert.Equal((77, 49408, 512, 8, 12), (c.ContextLength, c.VocabSize, c.TransformerWidth, c.TransformerHeads, c.TransformerLayers));
        Assert.Equal(50, c.VisionTokens);
        // "Model parameters: 151,277,313" in CLIP's notebooks/Interacting_with_CLIP.ipynb.
        Assert.Equal(151_277_313, c.ParameterCount);
    }

    [Fact]
    public void TinyParameterCountMatchesTheReference()
    {
        // make_clip_fixture.py prints 49377 parameters for the reference's tiny model.
        using var model = new ClipModel(TinyConfig);
        Assert.Equal(49_377, model.parameters().Sum(p => p.numel()));
        Assert.Equal(49_377, TinyConfig.ParameterCount);
    }

    [Fact]
    public void InputsOfTheWrongShapeAreRefusedBeforeAnyMatmul()
    {
        using var model = new ClipModel(TinyConfig);
        using var shortIds = zeros(2, 7, dtype: ScalarType.Int64);
        Assert.Contains("B×8", Assert.Throws<ArgumentException>(() => model.EncodeText(shortIds)).Message);
        using var floatIds = zeros(2, 8);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.EncodeText(floatIds)).Message);
        using var outOfVocab = SafeMath.Full([2, 8], 64, ScalarType.Int64);
        Assert.Contains("[0, 64)", Assert.Throws<ArgumentException>(() => model.EncodeText(outOfVocab)).Message);
        using var wrongSize = zeros(1, 3, 31, 32);
        Assert.Contains("B×3×32×32", Assert.Throws<ArgumentException>(() => model.EncodeImage(wrongSize)).Message);
        using var gray = zeros(1, 1, 32, 32);
        Assert.Throws<ArgumentException>(() => model.EncodeImage(gray));
        using var tokens = zeros(2, 5, 7);
        Assert.Contains("B×L×24", Assert.Throws<ArgumentException>(() => model.Transformer.forward(tokens, null)).Message);
        using var goodTokens = zeros(2, 5, 24);
        using var badMask = zeros(4, 4);
        Assert.Contains("5×5", Assert.Throws<ArgumentException>(() => model.Transformer.forward(goodTokens, badMask)).Message);
    }

    [Fact]
    public void CausalMaskIsTheReferencesAdditiveMask()
    {
        using var mask = ClipTextTower.CausalMask(4, ScalarType.Float32);
        var v = mask.data<float>().ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(j > i ? float.NegativeInfinity : 0f, v[i * 4 + j]);
    }

    [Fact]
    public void TextLoraStartsAsIdentityTrainsOnlyItsFactorsAndMerges()
    {
        using var model = ClipWeights.Load(FixtureFile("openai.safetensors"), TinyConfig);
        var (image0, text0) = Encode(model);
        using var _i0 = image0;
        using var _t0 = text0;
        var lora = ClipLora.Apply(model, rank: 4);
        // q and v factors, A and B, in each of the 2 text blocks.
        Assert.Equal(2 * 4, lora.Count);
        Assert.Equal(lora.Count, ClipLora.Parameters(model.Transformer).Count);
        Assert.Empty(ClipLora.Parameters(model.Visual.Transformer));
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        Assert.Equal(lora.Count, trainable.Count);
        Assert.All(trainable, p => Assert.Contains(lora, l => ReferenceEquals(l, p)));
        Assert.Contains("transformer.resblocks.1.attn.in_proj.linear_b_v.weight", model.state_dict().Keys);
        Assert.Contains("transformer.resblocks.1.attn.in_proj.weight", model.state_dict().Keys);

        // B = 0: exactly the same features.
        var (image1, text1) = Encode(model);
        using (image1)
        using (text1)
        {
            Assert.True(Same(text1, text0), "LoRA with zero B changed the text features");
            Assert.True(Same(image1, image0), "LoRA on the text changed the image features");
        }

        // A non-zero B changes the text (not the image); merging keeps the output.
        manual_seed(5);
        foreach (var p in lora.Where(p => p.shape[1] == 4)) Randomise(p, 0.5); // the B factors: out × rank
        var (image2, text2) = Encode(model);
        using (image2)
        using (text2)
        {
            Assert.True(Same(image2, image0));
            var (changed, _) = Diff(text2, text0);
            Assert.True(changed > 1e-3, $"LoRA update barely changed the text features ({changed:E2})");

            // Gradients reach the factors only.
            using var ids = Npy("ids.npy");
            using var feats = model.EncodeText(ids);
            using var loss = feats.square().sum();
            loss.backward();
            Assert.All(lora, p => Assert.NotNull(p.grad));
            Assert.All(model.parameters().Where(p => !p.requires_grad), p => Assert.Null(p.grad));

            ClipLora.Merge(model.Transformer);
            using (var text3 = TextFeatures(model))
                AssertClose(text3, text2, 1e-5, "merged LoRA");
            ClipLora.Unmerge(model.Transformer);
            using (var text4 = TextFeatures(model))
                AssertClose(text4, text2, 1e-5, "unmerged LoRA");
        }
        Assert.Throws<InvalidOperationException>(() => ClipLora.Apply(model));
    }

    [Fact]
    public void LoraModelLoadsAPlainCheckpoint()
    {
        // The public weights have no LoRA factors: they keep their initialisation (B = 0).
        using var model = new ClipModel(TinyConfig);
        ClipLora.Apply(model);
        var report = ClipWeights.LoadWeights(model, FixtureFile("openai.safetensors"));
        Assert.Equal(2 * 4, report.Missing.Count);
        Assert.All(report.Missing, name => Assert.True(ClipNames.IsLoraFactor(name), name));
        model.eval();
        using var text = TextFeatures(model);
        using var expected = Npy("text_features.npy");
        AssertClose(text, expected, 1e-5, "LoRA model with a plain checkpoint");
    }

    [Fact]
    public void SavedModelsReloadWithIdenticalOutputs()
    {
        using var dir = new TempDir();
        using var model = ClipWeights.Load(FixtureFile("hf.safetensors"), TinyConfig);
        var (image0, text0) = Encode(model);
        using var _i0 = image0;
        using var _t0 = text0;

        string plain = dir.File("plain.safetensors");
        ClipWeights.Save(model, plain);
        // OpenAI's names on disk and the config in the metadata: no config needed to reload.
        Assert.Contains(SafeTensors.Inspect(plain), t => t.Name == "transformer.resblocks.0.attn.in_proj_weight");
        using (var reloaded = ClipWeights.Load(plain))
        {
            Assert.Equal(TinyConfig, reloaded.Config);
            var (image1, text1) = Encode(reloaded);
            using (image1)
            using (text1)
            {
                Assert.True(Same(image1, image0));
                Assert.True(Same(text1, text0));
            }
        }

        // With LoRA: the factors are saved (under our names) and need a LoRA model to load into.
        var lora = ClipLora.Apply(model);
        manual_seed(3);
        foreach (var p in lora) Randomise(p, 0.3);
        using var text2 = TextFeatures(model);
        string tuned = dir.File("lora.safetensors");
        ClipWeights.Save(model, tuned);
        var e = Assert.Throws<CheckpointMismatchException>(() => ClipWeights.Load(tuned));
        Assert.Contains("apply ClipLora", e.Message);
        using (var target = new ClipModel(TinyConfig))
        {
            ClipLora.Apply(target);
            ClipWeights.LoadWeights(target, tuned);
            target.eval();
            using var text3 = TextFeatures(target);
            Assert.True(Same(text3, text2));
        }

        // Merged: written as plain weights, which a model without LoRA loads.
        ClipLora.Merge(model.Transformer);
        string merged = dir.File("merged.safetensors");
        ClipWeights.Save(model, merged);
        Assert.DoesNotContain(SafeTensors.Inspect(merged), t => ClipNames.IsLoraFactor(t.Name));
        using (var reloaded = ClipWeights.Load(merged))
        {
            using var text4 = TextFeatures(reloaded);
            AssertClose(text4, text2, 1e-5, "merged LoRA saved and reloaded");
        }
    }

    [Fact]
    public void MissingFileSaysWhatToDownload()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-clip", "ViT-B-32.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => ClipWeights.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("ViT-B/32", e.Message);
        Assert.Contains("open_clip_model.safetensors", e.Message);
        Assert.Contains("openai/clip-vit-base-patch32", e.Message);
    }

    [Fact]
    public void TorchScriptArchiveIsRefusedWithAConversionHint()
    {
        string path = FixtureFile("torchscript.pt");
        var e = Assert.Throws<CheckpointFormatException>(() => ClipWeights.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("TorchScript", e.Message);
        Assert.Contains("torch.jit.load", e.Message);
    }

    [Fact]
    public void WrongShapeMissingAndUnknownNamesAreReportedWithTheFile()
    {
        using var dir = new TempDir();
        using var good = SafeTensors.Read(FixtureFile("openai.safetensors")).Tensors;

        string Write(string name, Func<KeyValuePair<string, Tensor>, KeyValuePair<string, Tensor>?> edit, params (string, Tensor)[] extra)
        {
            string path = dir.File(name);
            var items = good.Select(edit).OfType<KeyValuePair<string, Tensor>>().Concat(extra.Select(x => new KeyValuePair<string, Tensor>(x.Item1, x.Item2)));
            SafeTensors.Write(path, items.ToList());
            return path;
        }

        using var wrong = zeros(24, 15);
        string wrongShape = Write("wrong-shape.safetensors", kv => kv.Key == "text_projection" ? new(kv.Key, wrong) : kv);
        var e = Assert.Throws<CheckpointMismatchException>(() => ClipWeights.Load(wrongShape, TinyConfig));
        Assert.Contains(wrongShape, e.Message);
        Assert.Contains("text_projection: checkpoint [24, 15], model [24, 16]", e.Message);

        string missing = Write("missing.safetensors", kv => kv.Key == "transformer.resblocks.1.attn.in_proj_bias" ? null : kv);
        e = Assert.Throws<CheckpointMismatchException>(() => ClipWeights.Load(missing, TinyConfig));
        Assert.Contains(missing, e.Message);
        Assert.Contains("missing in checkpoint (1)", e.Message);
        Assert.Contains("transformer.resblocks.1.attn.in_proj_bias", e.Message);

        using var stray = zeros(3);
        string unknown = Write("unknown.safetensors", kv => kv, ("visual.extra_thing", stray));
        e = Assert.Throws<CheckpointMismatchException>(() => ClipWeights.Load(unknown, TinyConfig));
        Assert.Contains("unexpected in checkpoint (1)", e.Message);
        Assert.Contains("visual.extra_thing", e.Message);

        // Nothing is half-loaded: the model keeps its weights when loading fails.
        using var model = new ClipModel(TinyConfig);
        using var before = model.LogitScale.detach().clone();
        Assert.Throws<CheckpointMismatchException>(() => ClipWeights.LoadWeights(model, missing));
        Assert.True(Same(model.LogitScale, before));

        // Shapes are checked while inferring the config, too.
        string noText = Write("image-only.safetensors", kv => kv.Key.StartsWith("visual.") ? kv : null);
        var f = Assert.Throws<CheckpointFormatException>(() => ClipWeights.Load(noText));
        Assert.Contains(noText, f.Message);
        Assert.Contains("token_embedding.weight", f.Message);

        string notClip = Write("not-clip.safetensors", kv => new("blocks.0." + kv.Key, kv.Value));
        f = Assert.Throws<CheckpointFormatException>(() => ClipWeights.Load(notClip, TinyConfig));
        Assert.Contains(notClip, f.Message);
        Assert.Contains("not a CLIP checkpoint", f.Message);
    }

    [Fact]
    public void HuggingFaceFileWithoutAKeyProjectionIsRefused()
    {
        using var dir = new TempDir();
        using var hf = SafeTensors.Read(FixtureFile("hf.safetensors")).Tensors;
        string path = dir.File("no-k.safetensors");
        SafeTensors.Write(path, hf.Where(kv => kv.Key != "text_model.encoder.layers.1.self_attn.k_proj.weight").ToList());
        var e = Assert.Throws<CheckpointFormatException>(() => ClipWeights.Load(path, TinyConfig));
        Assert.Contains(path, e.Message);
        Assert.Contains("text_model.encoder.layers.1.self_attn.k_proj.weight", e.Message);
    }

    [Fact]
    public void PreprocessNormalisesWithClipsStatisticsAndCropsTheCentre()
    {
        // Already at the resolution: only (x − mean) / std per channel.
        manual_seed(1);
        using var images = rand(2, 3, 32, 32);
        using var normalised = ClipPreprocess.Apply(images, 32);
        var mean = new[] { 0.48145466f, 0.4578275f, 0.40821073f };
        var std = new[] { 0.26862954f, 0.26130258f, 0.27577711f };
        for (int c = 0; c < 3; c++)
        {
            using var channel = images.select(1, c);
            using var centred = channel.Minus(mean[c]);
            using var expected = centred.Over(std[c]);
            using var actual = normalised.select(1, c);
            AssertClose(actual, expected, 1e-6, $"channel {c}");
        }

        // A 40×80 image: the shorter side becomes 32 (→ 32×64), then the central 32 columns.
        using var wide = rand(1, 3, 40, 80);
        Assert.Equal((32L, 64L), ClipPreprocess.ResizedSize(40, 80, 32));
        using var cropped = ClipPreprocess.Apply(wide, 32);
        Assert.Equal(new long[] { 1, 3, 32, 32 }, cropped.shape);
        // A constant image stays constant through resizing and cropping.
        using var flat = SafeMath.Full([1, 3, 50, 70], 0.25, ScalarType.Float32);
        using var flatOut = ClipPreprocess.Apply(flat, 32);
        using var first = flatOut.select(1, 0);
        using var expect = SafeMath.Full([1, 32, 32], (0.25f - mean[0]) / std[0], ScalarType.Float32);
        AssertClose(first, expect, 1e-5, "constant image");
        using var ints = zeros(1, 3, 32, 32, dtype: ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => ClipPreprocess.Apply(ints, 32));
    }
}

/// <summary>Tests that switch the default device or count live tensors.</summary>
[Collection(Serial.Name)]
public class ClipSerialTests
{
    [Fact]
    public void ViTB32BuildsWithTheReferencesParameterCountAndNames()
    {
        // Built on the meta device (shapes only, no 600 MB of weights).
        set_default_device(META);
        try
        {
            using var model = new ClipModel(ClipConfig.ViTB32);
            // "Model parameters: 151,277,313" in CLIP's notebooks/Interacting_with_CLIP.ipynb.
            Assert.Equal(151_277_313, model.parameters().Sum(p => p.numel()));
            var shapes = model.state_dict().ToDictionary(kv => ClipNames.ToOpenAi(kv.Key), kv => kv.Value.shape);
            Assert.Equal(new long[] { 768, 3, 32, 32 }, shapes["visual.conv1.weight"]);
            Assert.Equal(new long[] { 50, 768 }, shapes["visual.positional_embedding"]);
            Assert.Equal(new long[] { 2304, 768 }, shapes["visual.transformer.resblocks.11.attn.in_proj_weight"]);
            Assert.Equal(new long[] { 768, 512 }, shapes["visual.proj"]);
            Assert.Equal(new long[] { 49408, 512 }, shapes["token_embedding.weight"]);
            Assert.Equal(new long[] { 1536, 512 }, shapes["transformer.resblocks.11.attn.in_proj_weight"]);
            Assert.Equal(new long[] { 512, 512 }, shapes["text_projection"]);
            Assert.Equal(ClipConfig.ViTB32, ClipWeights.InferConfig(shapes, "ViT-B/32 shapes"));

            // PG-SAM's LoRA: rank 4 on q and v of the 12 text blocks.
            var lora = ClipLora.Apply(model);
            Assert.Equal(12 * 4 * 4 * 512, lora.Sum(p => p.numel()));
        }
        finally
        {
            set_default_device(CPU);
        }
    }

    [Fact]
    public void EncodingLeavesNoTensorsBehind()
    {
        using var model = ClipWeights.Load(Path.Combine(Fixtures.RepoFixtures, "clip-parity", "tiny", "openai.safetensors"),
            ClipConfig.Load(Path.Combine(Fixtures.RepoFixtures, "clip-parity", "tiny", "config.json")));
        ClipLora.Apply(model);
        using var images = randn(2, 3, 32, 32);
        using var ids = randint(0, 63, [3, 8], dtype: ScalarType.Int64);
        using var _ = no_grad();
        for (int i = 0; i < 3; i++)
        {
            model.EncodeImage(images).Dispose();
            model.EncodeText(ids).Dispose();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = torch.Tensor.TotalCount;
        for (int i = 0; i < 20; i++)
        {
            model.EncodeImage(images).Dispose();
            model.EncodeText(ids).Dispose();
            var (a, b) = model.Logits(images, ids);
            a.Dispose();
            b.Dispose();
        }
        Assert.Equal(before, torch.Tensor.TotalCount);
    }
}
