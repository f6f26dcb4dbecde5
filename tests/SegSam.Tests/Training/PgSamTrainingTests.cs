using SegSam;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary>PG-SAM's whole model, loss, schedule, few-shot subsets and trainer on a tiny model and synthetic shapes.</summary>
[Collection(Serial.Name)] // the trainer switches oneDNN off process-wide while it runs
public class PgSamTrainingTests
{
    public static PgSamModelConfig TinyConfig(string textEncoder = "hashing:8") =>
        PgSamModelConfig.FromSam(TinySegSam.Config("sawd").Sam, TinySegSam.Categories, 8, new PgSamPriorConfig
        {
            TextEncoder = textEncoder, Template = PgSamPriorConfig.TemplateFor("MR", TinySegSam.Categories),
        });

    static PgSamModel Model(int seed = 7)
    {
        manual_seed(seed);
        return new PgSamModel(TinyConfig());
    }

    static PgSamTrainingConfig Quick(int epochs = 2) => new()
    {
        Epochs = epochs, ImagesPerBatch = 2, LearningRate = 1e-3, WarmupSteps = 2, Seed = 5,
    };

    [Fact]
    public void LossIsPointTwoCePlusPointEightDiceOnAHandComputedExample()
    {
        // One image, two classes, 2×2 pixels labelled [[0, 1], [1, 1]].
        using var logits = tensor(new float[] { 2, 0, 0, 1, /* class 1 */ 0, 1, 1, -1 }, [1, 2, 2, 2]);
        using var labels = tensor(new long[] { 0, 1, 1, 1 }, [1, 2, 2]);
        // CE: pixel probabilities of the true class σ(2) = 0.8808, σ(1) = 0.7311 (twice), σ(−2) = 0.1192
        // → mean of −ln p = (0.1269 + 0.3133 + 0.3133 + 2.1269) / 4 = 0.72009.
        // Dice per class, 1 − (2 Σ p t + ε) / (Σ p² + Σ t² + ε): background p = (.8808, .2689, .2689, .8808),
        // t = (1, 0, 0, 0) → 1 − 1.7616 / 2.6962 = 0.34664; class 1 → 1 − 2·1.5814/4.6962 = 0.32652 (mean 0.28739
        // as PyTorch computes the reference's DiceLoss on these logits).
        var (total, ce, dice) = PgSamLoss.AtResolution(logits, labels, 0.8);
        using (total)
        {
            Assert.Equal(0.7200949, ce, 5);
            Assert.Equal(0.2873853, dice, 5);
            Assert.Equal(0.2 * 0.7200949 + 0.8 * 0.2873853, total.item<float>(), 5);
        }
        // Both resolutions add up.
        var (sum, parts) = PgSamLoss.Compute(logits, labels, logits, labels, 0.8);
        using (sum) Assert.Equal(2 * (0.2 * 0.7200949 + 0.8 * 0.2873853), parts["total"], 5);
    }

    [Fact]
    public void LowResLabelsAreNearestWithCornersAligned()
    {
        // 4×4 → 2×2 takes pixels 0 and 3 of each axis (round(i · 3 / 1)).
        int[] labels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        Assert.Equal([1, 4, 13, 16], PgSamLoss.DownsampleLabels(labels, 4, 4, 2));
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyThenDecaysPoly()
    {
        var c = new PgSamTrainingConfig { LearningRate = 1, WarmupSteps = 4, PolyPower = 0.9 };
        Assert.Equal(0.25, c.LearningRateAt(0, 20), 12);
        Assert.Equal(0.75, c.LearningRateAt(2, 20), 12);
        Assert.Equal(1.0, c.LearningRateAt(3, 20), 12);
        Assert.Equal(1.0, c.LearningRateAt(4, 20), 12);
        Assert.Equal(Math.Pow(0.5, 0.9), c.LearningRateAt(14, 20), 12);
        Assert.Equal(Math.Pow(1 - 15.0 / 20, 0.9), c.LearningRateAt(19, 20), 12);
        Assert.Equal(Math.Pow(0.9, 0.9), new PgSamTrainingConfig { LearningRate = 1, WarmupSteps = 0 }.LearningRateAt(2, 20), 12);
    }

    [Fact]
    public void FewShotSubsetsAreSeededAndSized()
    {
        var a = FewShot.Subset(67, 0.1, 42);
        Assert.Equal(7, a.Length);
        Assert.Equal(a, FewShot.Subset(67, 0.1, 42));
        Assert.NotEqual(a, FewShot.Subset(67, 0.1, 43));
        Assert.Equal(a.Order().Distinct(), a);
        Assert.All(a, i => Assert.InRange(i, 0, 66));
        Assert.Single(FewShot.Subset(5, 0.01, 1));
        Assert.Equal(Enumerable.Range(0, 5), FewShot.Subset(5, 1.0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FewShot.Subset(5, 0, 1));
    }

    [Fact]
    public void FreshModelIsFiniteAndOnlyLoraPriorAndHeadTrain()
    {
        using var model = Model();
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.isfinite().all().item<bool>() && p.abs().max().item<float>() < 1e3, $"{name} is not initialised");
        var trainable = model.TrainableParameters().Select(p => p.Name).ToHashSet();
        Assert.Contains("clip_image_proj.weight", trainable);
        Assert.Contains("head.sim_proj.weight", trainable);
        Assert.Contains("image_encoder.blocks.0.attn.qkv.linear_b_v.weight", trainable);
        Assert.All(trainable.Where(n => n.StartsWith("image_encoder.", StringComparison.Ordinal)), n => Assert.Contains(".linear_", n));
        Assert.Equal(4 * TinySegSam.Config().Sam.ImageEncoder.Depth, trainable.Count(n => n.StartsWith("image_encoder.", StringComparison.Ordinal)));
    }

    [Fact]
    public void TrainingMovesLoraAndHeadButNeverTheFrozenEncoder()
    {
        var data = TinySegSam.Dataset(4);
        using var dir = new TempDir();
        using var model = Model();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        new PgSamTrainer(model, Quick(1), data, dir.File("run")).Run(resume: false);
        foreach (var (name, tensor) in model.state_dict())
        {
            bool same = tensor.equal(before[name]).all().all().item<bool>();
            bool frozen = name.StartsWith("image_encoder.", StringComparison.Ordinal) && !name.Contains(".linear_", StringComparison.Ordinal);
            if (frozen) Assert.True(same, $"{name} changed though frozen");
        }
        foreach (var name in new[] { "image_encoder.blocks.1.attn.qkv.linear_b_q.weight", "clip_image_proj.weight", "head.sim_proj.weight", "head.mask_decoder.mask_tokens.weight" })
            Assert.False(model.state_dict()[name].equal(before[name]).all().all().item<bool>(), $"{name} did not train");
        Assert.All(model.ImageEncoder.named_parameters().Where(p => !p.name.Contains(".linear_", StringComparison.Ordinal)),
            p => Assert.True(!p.parameter.requires_grad && p.parameter.grad is null, $"{p.name} got a gradient"));
    }

    [Fact]
    public void SavedModelLoadsWithIdenticalOutputs()
    {
        using var dir = new TempDir();
        using var model = Model();
        // Perturb the LoRA B factors (zero at init) so that the round trip covers them.
        using (no_grad())
            foreach (var p in ImageEncoderLora.Parameters(model.ImageEncoder)) p.copy_(p.Plus(randn_like(p).Times(0.01)));
        string path = dir.File("pgsam.safetensors");
        PgSamModelCheckpoint.Save(model, path);
        Assert.True(PgSamModelCheckpoint.IsPgSamModel(path));
        Assert.Equal(model.Config.ToJson(), PgSamModelCheckpoint.ReadConfig(path).ToJson());
        using var loaded = PgSamModelCheckpoint.Load(path);
        var data = TinySegSam.Dataset(2);
        using var pixels = stack(data.Slices.Select(s => tensor(s.Image, [1, 32, 32])), 0);
        using var text = SegSam.Text.PgSamPrior.TextInputs(model.Config, data.Slices.Select(s => s.Id).ToList(), null);
        model.eval();
        loaded.eval();
        using var a = model.forward(model.Preprocess(pixels), text);
        using var b = loaded.forward(loaded.Preprocess(pixels), text);
        Assert.True(a.Masks.equal(b.Masks).all().item<bool>());
        Assert.Equal([2, 4, 32, 32], a.Masks.shape); // background + 3 categories at 4 × the 8×8 grid
        Assert.True(model.PredictLabels(pixels, text).equal(loaded.PredictLabels(pixels, text)).all().item<bool>());
    }

    [Fact]
    public void InitialisesFromASegSamModel()
    {
        using var dir = new TempDir();
        manual_seed(3);
        using var segsam = new SegSamModel(TinySegSam.Config("sawd"));
        string path = dir.File("segsam.safetensors");
        SegSamCheckpoint.Save(segsam, path);
        using var model = Model();
        var loaded = PgSamModelCheckpoint.InitFromSam(model, path);
        Assert.Contains("head.mask_decoder.transformer.layers.0.self_attn.q_proj.weight", loaded);
        Assert.DoesNotContain(loaded, n => n.Contains("mask_tokens", StringComparison.Ordinal));
        var target = model.state_dict();
        foreach (var (name, tensor) in segsam.Sam.ImageEncoder.state_dict())
            Assert.True(tensor.equal(target["image_encoder." + name]).all().item<bool>(), $"{name} not initialised");
        Assert.True(segsam.Sam.PromptEncoder.state_dict()["no_mask_embed.weight"].equal(target["head.prompt_encoder.no_mask_embed.weight"]).all().item<bool>());
    }

    [Fact]
    public void TimeBudgetStopAndResumeEqualAnUninterruptedRun()
    {
        var data = TinySegSam.Dataset(6);
        using var dir = new TempDir();
        using var straight = Model();
        var full = new PgSamTrainer(straight, Quick(2) with { Fraction = 0.7, Augment = true }, data, dir.File("straight")).Run(resume: false);
        Assert.Equal(2 * 2, full.Steps); // 4 of 6 slices, 2 per step

        using (var first = Model())
        {
            var result = new PgSamTrainer(first, Quick(2) with { Fraction = 0.7, Augment = true, TimeBudgetMinutes = 1e-9 }, data, dir.File("split")).Run(resume: false);
            Assert.True(result.StoppedByBudget);
            Assert.Equal(1, result.Steps);
        }
        using var resumed = Model(seed: 99); // weights come from the checkpoint
        var rest = new PgSamTrainer(resumed, Quick(2) with { Fraction = 0.7, Augment = true }, data, dir.File("split")).Run(resume: true);
        Assert.Equal(4, rest.Steps);
        var b = resumed.state_dict();
        foreach (var (name, tensor) in straight.state_dict())
            Assert.True(tensor.equal(b[name]).all().all().item<bool>(), $"{name} differs after resume");
        static string Strip(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"elapsed_s\":[0-9.E+-]+", "");
        Assert.Equal(File.ReadAllLines(dir.File("straight/train_log.jsonl")).Select(Strip), File.ReadAllLines(dir.File("split/train_log.jsonl")).Select(Strip));
    }

    [Fact]
    public void PromptFreeAndPromptedEvaluationsScoreTheSameSlices()
    {
        var data = TinySegSam.Dataset(3);
        using var model = Model();
        var report = PgSamEvaluator.Evaluate(model, data, null);
        int present = data.Slices.Sum(s => s.LabelAreas().Count);
        Assert.Equal(present, report.Objects.Count);
        Assert.All(report.Objects, o => Assert.Equal("none", o.Prompt));
        manual_seed(3);
        using var segsam = new SegSamModel(TinySegSam.Config("sawd"));
        var prompted = PgSamEvaluator.EvaluatePrompted(segsam, data, data, [0, 1, 2, 3]);
        Assert.Equal(report.Objects.Select(o => (o.Source, o.Category)), prompted.Objects.Select(o => (o.Source, o.Category)));
        var table = new MethodComparison(data.Categories, [("pgsam", report), ("segsam", prompted)]);
        Assert.Contains("| square |", table.Markdown());
        Assert.StartsWith("category,pgsam_dice,pgsam_hd95_mm,segsam_dice,segsam_hd95_mm", table.Csv());
    }

    [Fact]
    public void PromptedMapsTakeTheCoarseClassOfTheStrongestMask()
    {
        var data = TinySegSam.Dataset(2);
        manual_seed(3);
        using var segsam = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true });
        // Every fine label maps to coarse class 1: no pixel may get another class.
        var maps = PgSamEvaluator.PromptedLabels(segsam, data, [0, 1, 1, 1]);
        Assert.All(maps, m => Assert.All(m, v => Assert.InRange(v, 0, 1)));
        Assert.Contains(maps, m => m.Contains(1));

        // Slices of another size than the model's 32²: the maps are at the slices' size.
        var larger = PgSamEvaluator.PromptedLabels(segsam, TinySegSam.Dataset(2, size: 64), [0, 1, 1, 1]);
        Assert.All(larger, m => Assert.Equal(64 * 64, m.Length));
        Assert.Contains(larger, m => m.Contains(1));
    }
}
