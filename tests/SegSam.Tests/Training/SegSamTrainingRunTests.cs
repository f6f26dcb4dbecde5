using System.Text.RegularExpressions;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Tests.Support;
using SegSam.Text;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary><see cref="SegSamTrainingRun"/> without a process: the config it resolves, its notices, training, resume and cancellation on a tiny model.</summary>
// Runs are compared bit for bit and seeded through libtorch's process-wide generator.
[Collection(Serial.Name)]
public class SegSamTrainingRunTests
{
    /// <summary>A tiny SEG-SAM config file (8-d text embeddings) and descriptions of its categories.</summary>
    sealed class Inputs : IDisposable
    {
        public readonly TempDir Dir = new();
        public readonly string Config, Descriptions;

        public Inputs(string variant = "full")
        {
            Config = Dir.File("config.json");
            File.WriteAllText(Config, TinySegSam.Config(variant).ToJson());
            var set = new CategoryDescriptions("template", "test");
            foreach (var category in TinySegSam.Categories)
                set.Set(category, new CategoryDescription($"bright {category}", $"{category}-shaped", "anywhere"));
            Descriptions = Dir.File("descriptions.json");
            set.Save(Descriptions);
        }

        public SegSamTrainingOptions Options(string run, int epochs, bool resume = false) => new()
        {
            OutputFolder = Dir.File(run), ConfigPath = Config, DescriptionsPath = Descriptions, TextEncoder = "hashing:8", Resume = resume,
            Training = new TrainingConfig
            {
                Epochs = epochs, ImagesPerBatch = 2, ObjectsPerImage = 2, Optimizer = "adamw", LearningRate = 1e-3, WeightDecay = 0.01,
                LrMilestones = [1], Seed = 5,
            },
        };

        public void Dispose() => Dir.Dispose();
    }

    static TrainingResult Train(SliceDataset data, SegSamTrainingOptions options, List<string>? notices = null, IProgress<TrainingProgress>? progress = null,
                                CancellationToken cancel = default)
    {
        using var run = SegSamTrainingRun.Prepare(data, options, notices is null ? null : notices.Add);
        return run.Train(progress, cancel);
    }

    static string StripTime(string line) => Regex.Replace(line, "\"elapsed_s\":[0-9.E+-]+", "");

    static void AssertSameWeightsAndLog(string expectedRun, string actualRun)
    {
        using var expected = SegSamCheckpoint.Load(Path.Combine(expectedRun, "model.safetensors"));
        using var actual = SegSamCheckpoint.Load(Path.Combine(actualRun, "model.safetensors"));
        var b = actual.state_dict();
        foreach (var (name, tensor) in expected.state_dict())
            Assert.True(tensor.equal(b[name]).all().item<bool>(), $"{name} differs from the uninterrupted run");
        Assert.Equal(File.ReadAllLines(Path.Combine(expectedRun, "train_log.jsonl")).Select(StripTime),
                     File.ReadAllLines(Path.Combine(actualRun, "train_log.jsonl")).Select(StripTime));
    }

    [Fact]
    public void ResumedAndCancelledRunsEndAsOneUninterruptedRun()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(4); // 2 steps per epoch
        var notices = new List<string>();
        var straight = Train(data, inputs.Options("straight", 2), notices);
        Assert.Equal((2, 4), (straight.EpochsCompleted, straight.Steps));
        Assert.Empty(notices); // no --init

        // Stopped after epoch 1, resumed for epoch 2.
        Train(data, inputs.Options("split", 1));
        var resumed = Train(data, inputs.Options("split", 2, resume: true));
        Assert.Equal(4, resumed.Steps);
        AssertSameWeightsAndLog(inputs.Dir.File("straight"), inputs.Dir.File("split"));

        // Cancelled in the middle of epoch 2: a checkpoint at that step, no model; resuming finishes the run.
        using var cancel = new CancellationTokenSource();
        var progress = new CallbackProgress<TrainingProgress>(p => { if (p.GlobalStep == 3) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => Train(data, inputs.Options("cancelled", 2), progress: progress, cancel: cancel.Token));
        Assert.False(File.Exists(inputs.Dir.File("cancelled/model.safetensors")));
        Assert.EndsWith(Path.Combine("step-0000003", "model.safetensors"), CheckpointedTrainer.LatestCheckpointModel(inputs.Dir.File("cancelled")));
        Assert.Equal(4, Train(data, inputs.Options("cancelled", 2, resume: true)).Steps);
        AssertSameWeightsAndLog(inputs.Dir.File("straight"), inputs.Dir.File("cancelled"));
    }

    [Fact]
    public void ConfigIsTheOneTheCommandLineAssembled()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string[] categories = data.Categories;
        var options = new SegSamTrainingOptions
        {
            OutputFolder = inputs.Dir.File("run"), DescriptionsPath = inputs.Descriptions, BoxPrior = true, HighResChannels = 16,
        };
        // What `segsam train` assembled before the library did (defaults: vit_t_128, full, hashing:256).
        var expected = SegSamConfig.Variant("full", SamConfig.Preset("vit_t_128"), categories, 256);
        expected = expected with { Categories = categories };
        expected = expected with { TextEnhancer = expected.TextEnhancer with { TextEncoder = "hashing:256" }, BoxPrior = true, HighResChannels = 16 };
        Assert.Equal(expected.ToJson(), SegSamTrainingRun.ResolveConfig(data, options).ToJson());

        var baseline = SegSamConfig.Variant("baseline", SamConfig.Preset("vit_b_256"), categories, 8);
        Assert.Equal(baseline.ToJson(), SegSamTrainingRun.ResolveConfig(data, options with
        {
            ModelType = "vit_b_256", Variant = "baseline", TextEncoder = "hashing:8", BoxPrior = false, HighResChannels = null,
        }).ToJson());

        // A config file keeps its own text encoder and takes the data's categories.
        var fromFile = SegSamTrainingRun.ResolveConfig(data, options with { ConfigPath = inputs.Config, TextEncoder = "hashing:8" });
        var file = TinySegSam.Config();
        Assert.Equal((file with { Categories = categories, BoxPrior = true, HighResChannels = 16 }).ToJson(), fromFile.ToJson());
        Assert.Equal("hashing:256", fromFile.TextEnhancer.TextEncoder);
    }

    [Fact]
    public void ResumeTakesTheCheckpointsConfigAndIgnoresTheModelOptions()
    {
        using var inputs = new Inputs("sawd");
        var data = TinySegSam.Dataset(2);
        Train(data, inputs.Options("run", 1));
        var resumed = SegSamTrainingRun.ResolveConfig(data, inputs.Options("run", 2, resume: true) with
        {
            ConfigPath = null, ModelType = "vit_h", Variant = "baseline", BoxPrior = true, HighResChannels = 8,
        });
        Assert.Equal(SegSamCheckpoint.ReadConfig(inputs.Dir.File("run/model.safetensors")).ToJson(), resumed.ToJson());

        var nothing = Assert.Throws<FileNotFoundException>(() => SegSamTrainingRun.Prepare(data, inputs.Options("none", 1, resume: true)));
        Assert.Equal($"{inputs.Dir.File("none")}: nothing to resume (no checkpoints/latest.json)", nothing.Message);
    }

    [Fact]
    public void InitialisesSamAndSaysSoAndRefusesATextEncoderOfAnotherWidth()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        manual_seed(3);
        string sam = inputs.Dir.File("sam.safetensors");
        using (var released = new SamModel(TinySegSam.Config().Sam))
            SamCheckpoint.Save(released, sam);
        var notices = new List<string>();
        using (SegSamTrainingRun.Prepare(data, inputs.Options("run", 1) with { InitPath = sam }, notices.Add)) { }
        Assert.Equal(new[] { $"initialised SAM from {sam}" }, notices);

        var wrongWidth = Assert.Throws<ArgumentException>(() => SegSamTrainingRun.Prepare(data, inputs.Options("run", 1) with { TextEncoder = "hashing:16" }));
        Assert.Equal("--text-encoder hashing:16 gives 16-d embeddings; the model expects 8", wrongWidth.Message);
    }

    /// <summary>A seeded tiny SEG-SAM model saved as the init model of a fine-tuning run.</summary>
    static string SavedModel(Inputs inputs)
    {
        manual_seed(8);
        string path = inputs.Dir.File("start.safetensors");
        using var model = new SegSamModel(TinySegSam.Config());
        SegSamCheckpoint.Save(model, path);
        return path;
    }

    [Fact]
    public void FineTunesAWholeSegSamModelAndRefusesOneOfAnotherConfig()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string start = SavedModel(inputs);
        var notices = new List<string>();
        // No --config: the init model's config is the run's; one epoch at a tiny learning rate stays near it.
        var options = inputs.Options("tuned", 1) with { ConfigPath = null, InitPath = start, ModelType = "no-such-preset" };
        options = options with { Training = options.Training with { LearningRate = 1e-12, WeightDecay = 0 } };
        Train(data, options, notices);
        Assert.Equal(new[] { $"initialised the whole SEG-SAM model from {start}" }, notices);
        using (var before = SegSamCheckpoint.Load(start))
        using (var after = SegSamCheckpoint.Load(inputs.Dir.File("tuned/model.safetensors")))
        {
            Assert.Equal(before.Config.ToJson(), after.Config.ToJson());
            var tuned = after.state_dict();
            // Every weight starts from the init model; the category text embeddings are those of the
            // run's descriptions (the same file as the init model's in a real fine-tuning).
            foreach (var (name, value) in before.state_dict().Where(p => p.Key != "text_enhancer.text_embeddings"))
                Assert.True(value.allclose(tuned[name], rtol: 0, atol: 1e-6), $"{name} did not start from the init model");
        }

        string other = inputs.Dir.File("other.safetensors");
        using (var baseline = new SegSamModel(TinySegSam.Config("baseline")))
            SegSamCheckpoint.Save(baseline, other);
        var refused = Assert.Throws<InvalidDataException>(() => SegSamTrainingRun.Prepare(data, inputs.Options("x", 1) with { InitPath = other }));
        Assert.Contains("another config", refused.Message);
    }

    [Fact]
    public void FineTuningCanSwitchOnBoxCandidatesWhichAddNoWeights()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string start = SavedModel(inputs);
        var options = inputs.Options("candidates", 1) with { ConfigPath = null, InitPath = start, BoxCandidates = true };
        // Every step a box: the steps decode all four masks.
        options = options with { Training = options.Training with { BoxProbability = 1, SuperviseAllIou = true } };
        var result = Train(data, options);
        Assert.Equal(1, result.Steps);
        using var before = SegSamCheckpoint.Load(start);
        using var after = SegSamCheckpoint.Load(inputs.Dir.File("candidates/model.safetensors"));
        Assert.False(before.Config.BoxCandidates);
        Assert.True(after.Config.BoxCandidates);
        Assert.Equal((before.Config with { BoxCandidates = true }).ToJson(), after.Config.ToJson());
        Assert.Equal(before.state_dict().Keys.Order(), after.state_dict().Keys.Order());
        // The candidates' token learnt from the box step.
        Assert.False(before.state_dict()["sam.mask_decoder.mask_tokens.weight"][1..].equal(after.state_dict()["sam.mask_decoder.mask_tokens.weight"][1..]).all().item<bool>());
    }

    [Fact]
    public void FineTuningCanGiveBoxCandidatesTokensOfTheirOwn()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string start = SavedModel(inputs);
        var options = inputs.Options("own", 1) with { ConfigPath = null, InitPath = start, BoxCandidateTokens = true };
        options = options with { Training = options.Training with { BoxProbability = 1, SuperviseAllIou = true } };
        var notices = new List<string>();
        Assert.Equal(1, Train(data, options, notices).Steps);
        Assert.Contains(notices, n => n.Contains("box candidates' own tokens start as copies of its click candidates"));
        using var before = SegSamCheckpoint.Load(start);
        using var after = SegSamCheckpoint.Load(inputs.Dir.File("own/model.safetensors"));
        Assert.Equal((before.Config with { BoxCandidates = true, BoxCandidateTokens = true }).ToJson(), after.Config.ToJson());
        var added = after.state_dict().Keys.Except(before.state_dict().Keys).ToList();
        Assert.Equal(after.BoxCandidateTokens!.state_dict().Keys.Select(k => SegSamModel.BoxCandidateTokensPrefix + k).Order(), added.Order());
        // The box step trained the box tokens away from their start (the click candidates' tokens),
        // while the click candidates' own hypernetworks were not in the box step's graph.
        var tokens = before.state_dict()["sam.mask_decoder.mask_tokens.weight"][1..];
        Assert.False(tokens.allclose(after.state_dict()["box_candidate_tokens.mask_tokens.weight"], rtol: 0, atol: 1e-7));
        foreach (var name in before.state_dict().Keys.Where(k => k.StartsWith("sam.mask_decoder.output_hypernetworks_mlps.1.", StringComparison.Ordinal)))
            Assert.True(before.state_dict()[name].allclose(after.state_dict()[name], rtol: 0, atol: 1e-7), $"{name} moved on a box step");

        // A model that has them fine-tunes as itself: its box tokens are loaded, not copied again.
        var again = inputs.Options("again", 1) with { ConfigPath = null, InitPath = inputs.Dir.File("own/model.safetensors"), BoxCandidateTokens = true };
        var againNotices = new List<string>();
        Assert.Equal(1, Train(data, again with { Training = options.Training }, againNotices).Steps);
        Assert.DoesNotContain(againNotices, n => n.Contains("copies of its click candidates"));
    }

    [Fact]
    public void TrainOnlyMovesTheNamedPartsAndNothingElse()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string start = SavedModel(inputs);
        var options = inputs.Options("boxes", 2) with { ConfigPath = null, InitPath = start, BoxCandidateTokens = true };
        options = options with { Training = options.Training with { BoxProbability = 1, SuperviseAllIou = true, TrainOnly = ["box_candidate_tokens"] } };
        Assert.Equal(2, Train(data, options).Steps);
        using var before = SegSamCheckpoint.Load(start);
        using var after = SegSamCheckpoint.Load(inputs.Dir.File("boxes/model.safetensors"));
        var old = before.state_dict();
        // Learnt weights only: the text enhancer's category embeddings are a buffer each run sets from the descriptions.
        foreach (var (name, weight) in after.named_parameters().Where(p => old.ContainsKey(p.name)))
            Assert.True(old[name].equal(weight).all().item<bool>(), $"{name} moved although only box_candidate_tokens train");
        Assert.False(old["sam.mask_decoder.mask_tokens.weight"][1..].equal(after.state_dict()["box_candidate_tokens.mask_tokens.weight"]).all().item<bool>());

        // Click steps have nothing to train then: they are logged as skipped, not failed.
        var clicks = inputs.Options("clicks", 1) with { ConfigPath = null, InitPath = inputs.Dir.File("boxes/model.safetensors") };
        clicks = clicks with { Training = clicks.Training with { BoxProbability = 0, TrainOnly = ["box_candidate_tokens"] } };
        Assert.Equal(1, Train(data, clicks).Steps);
        Assert.Contains("skipped_nothing_to_train", File.ReadAllText(inputs.Dir.File("clicks/train_log.jsonl")));
        using var unchanged = SegSamCheckpoint.Load(inputs.Dir.File("clicks/model.safetensors"));
        foreach (var (name, weight) in unchanged.named_parameters())
            Assert.True(after.state_dict()[name].equal(weight).all().item<bool>(), $"{name} moved on a step with nothing to train");

        // A part the model does not have is refused before training, naming it.
        var wrong = inputs.Options("wrong", 1) with { ConfigPath = null, InitPath = start };
        wrong = wrong with { Training = wrong.Training with { TrainOnly = ["box_candidate_tokens"] } };
        var error = Assert.Throws<ArgumentException>(() => Train(data, wrong));
        Assert.Contains("--train-only box_candidate_tokens", error.Message);
        Assert.Throws<InvalidDataException>(() => (new TrainingConfig { TrainOnly = ["sam."] }).Validate());
    }

    /// <summary>Each box's answer (sigmoid of its low-resolution logits) on every slice, for comparing models.</summary>
    static List<float[]> BoxAnswers(string modelPath, SliceDataset data)
    {
        using var model = SegSamCheckpoint.Load(modelPath);
        using var predictor = new SegSam.Inference.SegSamPredictor(model, testTimeMirroring: false);
        var sampler = new PromptSampler(new TrainingConfig().MinAreaFraction);
        var answers = new List<float[]>();
        foreach (var slice in data.Slices)
        {
            predictor.SetSlice(slice.Image, data.Height, data.Width);
            foreach (var answer in predictor.PredictBatch([.. sampler.TestObjects(slice, true).Select(o => o.Prompt)]))
                answers.Add([.. answer.LowResLogits!.Select(v => 1 / (1 + MathF.Exp(-v)))]);
        }
        return answers;
    }

    static double MeanDistance(List<float[]> a, List<float[]> b) =>
        a.Zip(b).SelectMany(pair => pair.First.Zip(pair.Second, (x, y) => (double)Math.Abs(x - y))).Average();

    [Fact]
    public void ABoxTeacherKeepsTheBoxAnswersWhileTheModelTrains()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        string start = SavedModel(inputs);
        // The teacher is a model of the run's config with the run's category text embeddings: the init model after a step at a negligible rate.
        var settle = inputs.Options("base", 1) with { ConfigPath = null, InitPath = start };
        Train(data, settle with { Training = settle.Training with { LearningRate = 1e-12, WeightDecay = 0 } });
        string teacher = inputs.Dir.File("base/model.safetensors");

        var free = inputs.Options("free", 3) with { ConfigPath = null, InitPath = teacher };
        free = free with { Training = free.Training with { BoxProbability = 1, LearningRate = 1e-2 } };
        var kept = inputs.Options("kept", 3) with { ConfigPath = null, InitPath = teacher };
        kept = kept with { Training = free.Training with { BoxTeacher = teacher, BoxTeacherWeight = 1000 } };
        Train(data, free);
        Train(data, kept);

        // Every box step logs the term; before the first update the model is its teacher, so it starts at 0.
        var log = File.ReadAllLines(inputs.Dir.File("kept/train_log.jsonl")).Where(line => line.Contains("\"loss\"")).ToList();
        Assert.Equal(3, log.Count);
        Assert.All(log, line => Assert.Contains("\"box_teacher\"", line));
        Assert.DoesNotContain("box_teacher", File.ReadAllText(inputs.Dir.File("free/train_log.jsonl")));
        double first = System.Text.Json.JsonDocument.Parse(log[0]).RootElement.GetProperty("loss").GetProperty("box_teacher").GetDouble();
        Assert.InRange(first, -1e-5, 1e-5);

        var before = BoxAnswers(teacher, data);
        double movedFree = MeanDistance(before, BoxAnswers(inputs.Dir.File("free/model.safetensors"), data));
        double movedKept = MeanDistance(before, BoxAnswers(inputs.Dir.File("kept/model.safetensors"), data));
        Assert.True(movedFree > 0.01, $"without the teacher the box answers moved by only {movedFree}");
        Assert.True(movedKept < movedFree / 3, $"with the teacher the box answers moved by {movedKept}, without it by {movedFree}");

        // A teacher of another config is refused before training, naming the file.
        string other = inputs.Dir.File("other.safetensors");
        using (var baseline = new SegSamModel(TinySegSam.Config("baseline")))
            SegSamCheckpoint.Save(baseline, other);
        var wrong = kept with { OutputFolder = inputs.Dir.File("wrong"), Training = kept.Training with { BoxTeacher = other } };
        var refused = Assert.Throws<InvalidDataException>(() => Train(data, wrong));
        Assert.StartsWith(other + ": the box teacher must be", refused.Message);
        Assert.Throws<InvalidDataException>(() => (new TrainingConfig { BoxTeacherWeight = -1 }).Validate());
    }

    [Fact]
    public void TrainingWithLeftRightFlipsMakesTheModelMirrorAtInference()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2);
        var fresh = inputs.Options("fresh", 1);
        Assert.False(SegSamTrainingRun.ResolveConfig(data, fresh).TestTimeMirroring);
        var flipped = fresh with { Training = fresh.Training with { FlipLeftRight = true } };
        Assert.True(SegSamTrainingRun.ResolveConfig(data, flipped).TestTimeMirroring);

        // Fine-tuning an existing model with flips switches it on; the weights are the same set.
        string start = SavedModel(inputs);
        var options = inputs.Options("flipped", 1) with { ConfigPath = null, InitPath = start };
        options = options with { Training = options.Training with { FlipLeftRight = true } };
        Assert.Equal(1, Train(data, options).Steps);
        using var before = SegSamCheckpoint.Load(start);
        using var after = SegSamCheckpoint.Load(inputs.Dir.File("flipped/model.safetensors"));
        Assert.False(before.Config.TestTimeMirroring);
        Assert.Equal((before.Config with { TestTimeMirroring = true }).ToJson(), after.Config.ToJson());
        Assert.Equal(before.state_dict().Keys.Order(), after.state_dict().Keys.Order());
        using var predictor = new SegSam.Inference.SegSamPredictor(after);
        Assert.True(predictor.TestTimeMirroring);
    }

    [Fact]
    public void FineTuningAtAnotherInputSizeResizesOnlyThePositionTables()
    {
        using var inputs = new Inputs();
        var data = TinySegSam.Dataset(2, size: 64);
        string start = SavedModel(inputs); // 32², grid 8
        var options = inputs.Options("larger", 1) with { ConfigPath = null, InitPath = start };
        options = options with { Training = options.Training with { LearningRate = 1e-12, WeightDecay = 0 } };

        var refused = Assert.Throws<InvalidDataException>(() => SegSamTrainingRun.Prepare(data, options));
        Assert.Contains("train at the data's with --img-size", refused.Message);
        var notMultiple = Assert.Throws<ArgumentException>(() => SegSamTrainingRun.Prepare(data, options with { ImageSize = 62 }));
        Assert.Equal("--img-size 62 must be a positive multiple of the encoder's patch size 4", notMultiple.Message);

        var notices = new List<string>();
        Train(data, options with { ImageSize = 64 }, notices);
        Assert.Equal(new[] { $"initialised the whole SEG-SAM model from {start} (trained at 32², position embeddings resized to 64²)" }, notices);
        using var before = SegSamCheckpoint.Load(start);
        using var after = SegSamCheckpoint.Load(inputs.Dir.File("larger/model.safetensors"));
        var sam = before.Config.Sam;
        Assert.Equal((before.Config with { Sam = sam with { ImageEncoder = sam.ImageEncoder with { ImgSize = 64 } } }).ToJson(), after.Config.ToJson());
        var tuned = after.state_dict();
        var resized = new List<string>();
        foreach (var (name, value) in before.state_dict().Where(p => p.Key != "text_enhancer.text_embeddings"))
        {
            using var expected = name.EndsWith("pos_embed", StringComparison.Ordinal) ? InputSizeAdapter.ResizePosEmbed(value, 16, 16)
                : name.Contains(".rel_pos_", StringComparison.Ordinal) && !value.shape.SequenceEqual(tuned[name].shape) ? InputSizeAdapter.ResizeRelPos(value, 31)
                : value.clone();
            if (!value.shape.SequenceEqual(tuned[name].shape)) resized.Add(name);
            Assert.True(expected.allclose(tuned[name], rtol: 0, atol: 1e-6), $"{name} did not start from the (resized) init weights");
        }
        // The absolute embedding and the global block's relative tables; the windowed block's stay 2·4 − 1 long.
        Assert.Equal(["sam.image_encoder.blocks.1.attn.rel_pos_h", "sam.image_encoder.blocks.1.attn.rel_pos_w", "sam.image_encoder.pos_embed"], resized.Order());
    }
}
