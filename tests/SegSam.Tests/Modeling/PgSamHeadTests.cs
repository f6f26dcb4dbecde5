using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// The PG-SAM head at a tiny size: config JSON, output shapes, what each switch (prior, fusion,
/// refinement iterations) changes, save → reload, shape errors.
/// </summary>
[Collection(Serial.Name)] // one test switches the default device
public class PgSamHeadTests
{
    // dim 16, grid 4 (64 / 16), 8-wide CLIP features, 3 classes.
    static PgSamConfig Tiny(bool prior = true, bool fusion = true, int refine = 1) => new()
    {
        Dim = 16, NumHeads = 2, MlpDim = 32, Depth = 1, FusionDepth = 2, NumClasses = 3, RefineIterations = refine,
        InputSize = 64, PatchSize = 16, ClipDim = 8, MaskInChans = 8, Prior = prior, Fusion = fusion,
    };

    const int Batch = 2;

    static (Tensor Neck, Tensor ClipImage, Tensor ClipText) Inputs(int seed = 3)
    {
        using var generator = new Generator((ulong)seed);
        return (randn([Batch, 16, 4, 4], generator: generator), randn([Batch, 8], generator: generator), randn([Batch, 8], generator: generator));
    }

    static PgSamHead Build(PgSamConfig config, int seed = 7)
    {
        manual_seed(seed);
        return new PgSamHead(config);
    }

    /// <summary>A variant with the full head's weights wherever it has the same parameter.</summary>
    static PgSamHead VariantOf(PgSamHead full, PgSamConfig config)
    {
        var head = new PgSamHead(config);
        var report = WeightLoader.Load(head, full.state_dict(), "full head", strict: false);
        Assert.Empty(report.Missing);
        return head;
    }

    static float[] Values(Tensor t) => NpyArray.FromTensor(t).ToFloat32();

    static double MaxDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return Values(a).Zip(Values(b), (x, y) => Math.Abs((double)x - y)).Max();
    }

    [Fact]
    public void ConfigRoundTripsThroughJson()
    {
        var config = Tiny(prior: true, fusion: false, refine: 3);
        string json = config.ToJson();
        foreach (var key in new[] { "\"dim\"", "\"num_heads\"", "\"mlp_dim\"", "\"fusion_depth\"", "\"num_classes\"", "\"refine_iterations\"", "\"input_size\"", "\"clip_dim\"", "\"prior\"", "\"fusion\"" })
            Assert.Contains(key, json);
        Assert.DoesNotContain("grid_size", json);
        Assert.Equal(config, PgSamConfig.FromJson(json));
        Assert.Equal(new PgSamConfig(), PgSamConfig.FromJson("{}"));
        Assert.Equal(14, new PgSamConfig().GridSize);
        Assert.Equal(56, new PgSamConfig().LowResSize);
    }

    [Fact]
    public void ConfigRejectsBadValues()
    {
        Assert.Throws<InvalidDataException>(() => PgSamConfig.FromJson("{ \"dims\": 16 }"));
        Assert.Throws<InvalidDataException>(() => PgSamConfig.FromJson("{ \"dim\": 20 }"));
        Assert.Throws<InvalidDataException>(() => PgSamConfig.FromJson("{ \"dim\": 16, \"num_heads\": 3 }"));
        Assert.Throws<InvalidDataException>(() => PgSamConfig.FromJson("{ \"refine_iterations\": -1 }"));
        Assert.Throws<InvalidDataException>(() => PgSamConfig.FromJson("{ \"input_size\": 230 }"));
        Assert.False(new PgSamConfig { Prior = false }.UsesFusion);
        Assert.Equal("PG-SAM: prior + fusion + 1 refinement iteration", new PgSamConfig().Describe());
    }

    [Fact]
    public void ReleasedSizeHasTheReferenceShapes()
    {
        set_default_device(META);
        try
        {
            using var head = new PgSamHead(new PgSamConfig());
            var sd = head.state_dict();
            Assert.Equal(new long[] { 196, 512 }, sd["sim_proj.weight"].shape);
            Assert.Equal(new long[] { 768, 256 }, sd["cross_attn.layers.1.self_attn.in_proj_weight"].shape);
            Assert.Equal(new long[] { 1024, 256 }, sd["cross_attn.layers.0.linear1.weight"].shape);
            Assert.Equal(new long[] { 32, 256, 1, 1 }, sd["feature_fusion.channel_attn.1.weight"].shape);
            Assert.Equal(new long[] { 10, 256 }, sd["mask_decoder.mask_tokens.weight"].shape);
            Assert.Equal(new long[] { 32, 256, 1, 1 }, sd["mask_decoder.guide_fusion_conv.weight"].shape);
            Assert.Equal(new long[] { 32, 33, 3, 3 }, sd["mask_decoder.mask_refiner.0.weight"].shape);
            Assert.Equal(new long[] { 2048, 256 }, sd["mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape);
            Assert.Equal(new long[] { 10, 256 }, sd["mask_decoder.iou_prediction_head.layers.2.weight"].shape);
            Assert.Contains("mask_decoder.ln1.norm.weight", sd.Keys);
            Assert.DoesNotContain("cross_attn.skip_connections.1.weight", sd.Keys);
        }
        finally
        {
            set_default_device(CPU);
        }
    }

    [Fact]
    public void FreshParametersAreFiniteAndTheGroupNormsStartAsIdentity()
    {
        // TorchSharp's GroupNorm leaves its affine parameters uninitialised; the head sets 1 and 0.
        for (int seed = 0; seed < 5; seed++)
        {
            using var head = Build(Tiny(), seed);
            foreach (var (name, p) in head.named_parameters())
                Assert.True(Values(p).All(float.IsFinite), $"{name} is not finite after construction");
            var sd = head.state_dict();
            foreach (var ln in new[] { "ln1", "ln2" })
            {
                Assert.All(Values(sd[$"mask_decoder.{ln}.norm.weight"]), v => Assert.Equal(1f, v));
                Assert.All(Values(sd[$"mask_decoder.{ln}.norm.bias"]), v => Assert.Equal(0f, v));
            }
        }
    }

    [Fact]
    public void FullHeadHasTheDocumentedShapes()
    {
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var head = Build(Tiny()))
        {
            using var r = head.Predict(neck, clipImage, clipText);
            Assert.Equal(new long[] { Batch, 16 }, r.Similarity!.shape);
            Assert.Equal(new long[] { Batch, 16, 4, 4 }, r.Guide!.shape);
            Assert.Equal(new long[] { Batch, 16, 4, 4 }, r.Fused.shape);
            Assert.Equal(new long[] { Batch, 3, 16, 16 }, r.Masks.shape);
            Assert.Equal(new long[] { Batch, 3, 16, 16 }, r.CoarseMasks.shape);
            Assert.Equal(new long[] { Batch, 3 }, r.Iou.shape);
            Assert.True(MaxDiff(r.Fused, neck) > 1e-4, "the fusion must change the image embedding");
            Assert.True(MaxDiff(r.Masks, r.CoarseMasks) > 1e-4, "one refinement iteration must change the masks");

            using var single = head.Predict(neck, clipImage, clipText, multimaskOutput: false);
            Assert.Equal(new long[] { Batch, 1, 16, 16 }, single.Masks.shape);
            Assert.Equal(new long[] { Batch, 1 }, single.Iou.shape);
            Assert.Equal(0, MaxDiff(single.Fused, r.Fused));
        }
    }

    [Fact]
    public void WithoutPriorThereIsNoGuideAndTheEmbeddingIsUntouched()
    {
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var full = Build(Tiny()))
        using (var plain = VariantOf(full, Tiny(prior: false)))
        {
            var keys = plain.state_dict().Keys.ToList();
            Assert.DoesNotContain(keys, k => k.StartsWith("sim_proj.") || k.StartsWith("cross_attn.") || k.StartsWith("feature_fusion.")
                                             || k.StartsWith("mask_decoder.guide_fusion_conv."));
            using var a = full.Predict(neck, clipImage, clipText);
            using var b = plain.Predict(neck, null, null);
            Assert.Null(b.Similarity);
            Assert.Null(b.Guide);
            Assert.Equal(0, MaxDiff(b.Fused, neck));
            Assert.Equal(a.Masks.shape, b.Masks.shape);
            Assert.True(MaxDiff(a.Masks, b.Masks) > 1e-4, "the prior must change the masks");
            Assert.True(MaxDiff(a.Iou, b.Iou) > 1e-6, "the fused embedding must change the IoU predictions");
        }
    }

    [Fact]
    public void WithoutFusionTheGuideReachesOnlyTheDecoder()
    {
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var full = Build(Tiny()))
        using (var noFusion = VariantOf(full, Tiny(fusion: false)))
        using (var plain = VariantOf(full, Tiny(prior: false)))
        {
            var keys = noFusion.state_dict().Keys.ToList();
            Assert.DoesNotContain(keys, k => k.StartsWith("cross_attn.") || k.StartsWith("feature_fusion."));
            Assert.Contains("sim_proj.weight", keys);
            Assert.Contains("mask_decoder.guide_fusion_conv.weight", keys);
            using var a = full.Predict(neck, clipImage, clipText);
            using var b = noFusion.Predict(neck, clipImage, clipText);
            using var c = plain.Predict(neck, null, null);
            Assert.Equal(0, MaxDiff(a.Similarity!, b.Similarity!));
            Assert.Equal(0, MaxDiff(a.Guide!, b.Guide!));
            Assert.Equal(0, MaxDiff(b.Fused, neck));
            Assert.True(MaxDiff(a.Masks, b.Masks) > 1e-4, "the fusion must change the masks");
            // Same embedding as without the prior: the IoU (from the tokens) agrees, the masks (guide at 4×) do not.
            Assert.True(MaxDiff(b.Iou, c.Iou) < 1e-5);
            Assert.True(MaxDiff(b.Masks, c.Masks) > 1e-4, "the guide fusion conv must change the masks");
        }
    }

    [Fact]
    public void ZeroRefinementIterationsGiveTheUnrefinedMasks()
    {
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var full = Build(Tiny()))
        using (var unrefined = VariantOf(full, Tiny(refine: 0)))
        using (var twice = VariantOf(full, Tiny(refine: 2)))
        {
            // The refiner's weights stay (as in the reference), so checkpoints load either way.
            Assert.Equal(full.state_dict().Keys, unrefined.state_dict().Keys);
            using var a = full.Predict(neck, clipImage, clipText);
            using var b = unrefined.Predict(neck, clipImage, clipText);
            using var c = twice.Predict(neck, clipImage, clipText);
            Assert.Equal(0, MaxDiff(b.Masks, b.CoarseMasks));
            Assert.True(MaxDiff(b.Masks, a.CoarseMasks) < 1e-6);
            Assert.True(MaxDiff(a.Masks, b.Masks) > 1e-4, "refinement must change the masks");
            Assert.True(MaxDiff(c.Masks, a.Masks) > 1e-4, "a second iteration must change them again");
            Assert.True(MaxDiff(a.Iou, b.Iou) < 1e-6, "refinement does not touch the IoU head");
        }
    }

    [Theory]
    [InlineData(true, true, 1)]
    [InlineData(false, false, 0)]
    [InlineData(true, false, 2)]
    public void SaveAndReloadGiveIdenticalOutputs(bool prior, bool fusion, int refine)
    {
        using var dir = new TempDir();
        string path = dir.File("pgsam.safetensors");
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var head = Build(Tiny(prior, fusion, refine)))
        {
            PgSamHeadCheckpoint.Save(head, path);
            using var reloaded = PgSamHeadCheckpoint.Load(path);
            Assert.Equal(head.Config, reloaded.Config);
            Assert.Equal(head.Config, PgSamConfig.Load(dir.File("pgsam.json")));
            using var a = head.Predict(neck, prior ? clipImage : null, prior ? clipText : null);
            using var b = reloaded.Predict(neck, prior ? clipImage : null, prior ? clipText : null);
            Assert.Equal(Values(a.Masks), Values(b.Masks));
            Assert.Equal(Values(a.Iou), Values(b.Iou));
            Assert.Equal(Values(a.Fused), Values(b.Fused));
        }
    }

    [Fact]
    public void LoadingIntoAnotherConfigNamesTheDifference()
    {
        using var dir = new TempDir();
        string path = dir.File("pgsam.safetensors");
        using (var head = Build(Tiny(prior: false, fusion: false)))
            PgSamHeadCheckpoint.Save(head, path);
        var e = Assert.Throws<CheckpointMismatchException>(() => PgSamHeadCheckpoint.Load(path, Tiny()).Dispose());
        Assert.Contains("sim_proj.weight", e.Report.Missing);
    }

    [Fact]
    public void BadShapesAreRejectedBeforeAnyMatmul()
    {
        var (neck, clipImage, clipText) = Inputs();
        using (neck) using (clipImage) using (clipText)
        using (var head = Build(Tiny()))
        using (var wrongChannels = randn(Batch, 12, 4, 4))
        using (var wrongGrid = randn(Batch, 16, 5, 5))
        using (var wrongClip = randn(Batch, 7))
        using (var wrongBatch = randn(Batch + 1, 8))
        {
            Assert.Throws<ArgumentException>(() => head.Predict(wrongChannels, clipImage, clipText));
            Assert.Throws<ArgumentException>(() => head.Predict(wrongGrid, clipImage, clipText));
            Assert.Throws<ArgumentException>(() => head.Predict(neck, null, clipText));
            Assert.Throws<ArgumentException>(() => head.Predict(neck, wrongClip, clipText));
            Assert.Throws<ArgumentException>(() => head.Predict(neck, clipImage, wrongBatch));
            Assert.Throws<ArgumentException>(() => PriorAligner.Guide(neck, clipImage));
        }
    }

    [Fact]
    public void TrainingModeRunsWithGradients()
    {
        var (neck, clipImage, clipText) = Inputs();
        // oneDNN's convolution backward gave NaN gradients here at random (see PgSamTrainer).
        using var oneDnnOff = OneDnn.Off();
        using (neck) using (clipImage) using (clipText)
        using (var head = Build(Tiny()))
        {
            head.train();
            using var r = head.forward(neck, clipImage, clipText);
            using var loss = r.Masks.square().mean();
            loss.backward();
            var named = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var name in new[] { "sim_proj.weight", "cross_attn.layers.0.self_attn.in_proj_weight", "feature_fusion.spatial_attn.0.weight",
                                         "mask_decoder.guide_fusion_conv.weight", "mask_decoder.mask_refiner.0.weight" })
                Assert.True(named[name].grad is { } g && g.abs().max().item<float>() > 0,
                    $"{name} gets no gradient ({(named[name].grad is { } h ? h.abs().max().item<float>().ToString() : "null")}, requires_grad {named[name].requires_grad})");
            head.eval();
        }
    }
}
