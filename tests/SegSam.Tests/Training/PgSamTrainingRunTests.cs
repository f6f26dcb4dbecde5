using System.Globalization;
using System.Text.RegularExpressions;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Modeling.Clip;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary><see cref="PgSamTrainingRun"/> without a process: the config it assembles, its notices, training and resume on a tiny model.</summary>
// Runs are compared bit for bit and seeded through libtorch's process-wide generator; the trainer switches oneDNN off process-wide.
[Collection(Serial.Name)]
public class PgSamTrainingRunTests
{
    /// <summary>A tiny SEG-SAM model file to initialise from (what `--init` gets in the CLI tests).</summary>
    static string SegSamInit(TempDir dir)
    {
        manual_seed(4);
        using var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true });
        string path = dir.File("segsam.safetensors");
        SegSamCheckpoint.Save(model, path);
        return path;
    }

    static PgSamTrainingOptions Options(TempDir dir, string run, int epochs, string? init, bool resume = false) => new()
    {
        OutputFolder = dir.File(run), InitPath = init, TextEncoder = "hashing:8", Resume = resume,
        Training = new PgSamTrainingConfig { Epochs = epochs, ImagesPerBatch = 2, WarmupSteps = 1, LearningRate = 1e-3, Seed = 5 },
    };

    static TrainingResult Train(SliceDataset data, PgSamTrainingOptions options, List<string>? notices = null)
    {
        using var run = PgSamTrainingRun.Prepare(data, options, notices is null ? null : notices.Add);
        Assert.Equal(data.Slices.Count, run.TrainingSlices);
        return run.Train();
    }

    static string StripTime(string line) => Regex.Replace(line, "\"elapsed_s\":[0-9.E+-]+", "");

    [Fact]
    public void TrainsSaysWhatItUsesAndResumesAsOneRun()
    {
        using var dir = new TempDir();
        string init = SegSamInit(dir);
        var data = TinySegSam.Dataset(4); // 2 steps per epoch
        var notices = new List<string>();
        Assert.Equal(4, Train(data, Options(dir, "straight", 2, init), notices).Steps);
        Assert.Equal(2, notices.Count);
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, PgSamTrainingRun.ClipNotice, "hashing:8") +
                     "; no per-image descriptions given: every slice gets the dataset template (no per-image information)", notices[0]);
        Assert.Matches($"^initialised the image encoder and [1-9][0-9]* head tensors from {Regex.Escape(init)}$", notices[1]);

        Train(data, Options(dir, "split", 1, init));
        var resumedNotices = new List<string>();
        Assert.Equal(4, Train(data, Options(dir, "split", 2, init, resume: true), resumedNotices).Steps);
        Assert.Equal(new[] { notices[0] }, resumedNotices); // nothing initialised: the weights are the checkpoint's

        using var straight = PgSamModelCheckpoint.Load(dir.File("straight/model.safetensors"));
        using var resumed = PgSamModelCheckpoint.Load(dir.File("split/model.safetensors"));
        var b = resumed.state_dict();
        foreach (var (name, tensor) in straight.state_dict())
            Assert.True(tensor.equal(b[name]).all().item<bool>(), $"{name} differs after resume");
        Assert.Equal(File.ReadAllLines(dir.File("straight/train_log.jsonl")).Select(StripTime), File.ReadAllLines(dir.File("split/train_log.jsonl")).Select(StripTime));

        var renamed = new SliceDataset { Name = data.Name, Modality = data.Modality, Categories = ["a", "b", "c"], Slices = data.Slices };
        var mismatch = Assert.Throws<InvalidDataException>(() => PgSamTrainingRun.Prepare(renamed, Options(dir, "split", 3, init, resume: true)));
        Assert.Equal($"{dir.File("split")}: the checkpoint's categories differ from the training data's (check --classes)", mismatch.Message);
    }

    [Fact]
    public void ConfigIsTheOneTheCommandLineAssembled()
    {
        using var dir = new TempDir();
        string init = SegSamInit(dir);
        var data = TinySegSam.Dataset(2);
        string[] categories = data.Categories;
        string template = PgSamPriorConfig.TemplateFor(data.Modality, categories);

        // `--init FILE` and nothing else: SAM's size from the file, the offline text encoder, default ranks.
        var options = new PgSamTrainingOptions { OutputFolder = dir.File("run"), InitPath = init };
        var prior = new PgSamPriorConfig
        {
            TextEncoder = "hashing:512", ImageFeatures = PgSamPriorConfig.NeckProjection, Clip = null, ClipLoraRank = ClipLora.DefaultRank,
            Descriptions = PgSamPriorConfig.TemplateDescriptions, Template = template,
        };
        var expected = PgSamModelConfig.FromSam(SegSamCheckpoint.ReadConfig(init).Sam, categories, 512, prior, ImageEncoderLora.DefaultRank);
        expected = expected with { Head = expected.Head with { Prior = true, Fusion = true, RefineIterations = expected.Head.RefineIterations } };
        Assert.Equal(expected.ToJson(), PgSamTrainingRun.ResolveConfig(data, options).ToJson());

        // No --init (the preset), an explicit text encoder, ranks, per-image descriptions and the ablation switches.
        var ablated = options with
        {
            InitPath = null, TextEncoder = "hashing:8", LoraRank = 2, ImageDescriptionsPath = dir.File("descriptions.json"),
            Prior = false, Fusion = false, RefineIterations = 0,
        };
        var expectedAblated = PgSamModelConfig.FromSam(SamConfig.Preset("vit_t_128"), categories, 8,
            prior with { TextEncoder = "hashing:8", Descriptions = PgSamPriorConfig.PerImageDescriptions }, 2);
        expectedAblated = expectedAblated with { Head = expectedAblated.Head with { Prior = false, Fusion = false, RefineIterations = 0 } };
        Assert.Equal(expectedAblated.ToJson(), PgSamTrainingRun.ResolveConfig(data, ablated).ToJson());
        // Without a prior and without --init (slices of the preset's size, so that the run is ready to train).
        var notices = new List<string>();
        using (PgSamTrainingRun.Prepare(TinySegSam.Dataset(2, size: 128), ablated with { ImageDescriptionsPath = null }, notices.Add)) { }
        Assert.Equal(new[]
        {
            "PG-SAM without its prior (--no-prior): no CLIP, no guide matrix, no descriptions used",
            "no --init: the image encoder starts from random weights (PG-SAM starts from a released SAM)",
        }, notices);
    }

    [Fact]
    public void LobesNeedTheAalData()
    {
        var data = TinySegSam.Dataset(1);
        Assert.Same(data, ClassGrouping.Apply(data, ClassGrouping.Dataset));
        var e = Assert.Throws<InvalidDataException>(() => ClassGrouping.Apply(data, ClassGrouping.Lobes));
        Assert.StartsWith("--classes lobes needs the built-in AAL dataset (synthetic: ", e.Message);
        Assert.Throws<ArgumentException>(() => ClassGrouping.Apply(data, "organs"));
    }
}
