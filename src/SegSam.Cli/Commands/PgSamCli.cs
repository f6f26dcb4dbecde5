using System.CommandLine;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Modeling;
using SegSam.Modeling.Clip;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using SegSam.Training;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Cli.Commands;

/// <summary>The PG-SAM paths of `segsam train --model pgsam`, `segsam evaluate` and `segsam segment` (thin: the work is in the library).</summary>
public static class PgSamCli
{
    public const string ClipNotice =
        "PG-SAM prior without CLIP (no --clip weights): text features come from the offline text encoder ({0}) " +
        "and image features from a learned projection of the SAM neck (see docs/pgsam.md)";

    /// <summary>"lobes": the built-in AAL data regrouped into <see cref="AalLobes.Names"/>; "dataset": the data's own categories.</summary>
    public static SliceDataset WithClasses(SliceDataset data, string classes) => classes switch
    {
        "dataset" => data,
        "lobes" => Regroup(data),
        _ => throw new UsageException($"--classes '{classes}' is unknown; known: lobes, dataset"),
    };

    static SliceDataset Regroup(SliceDataset data)
    {
        try
        {
            return AalLobes.Regroup(data);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"--classes lobes needs the built-in AAL dataset ({data.Name}: {e.Message})", e);
        }
    }

    public sealed record TrainOptions(
        Option<string> Data, Option<string> Output, Option<string> ModelType, Option<string?> Init, Option<int?> Epochs, Option<int?> Batch,
        Option<double?> Lr, Option<double?> WeightDecay, Option<int?> Warmup, Option<double?> Budget, Option<bool> Augment, Option<ulong> Seed,
        Option<bool> Resume, Option<bool> Json, Option<string> TextEncoder, Option<string> Classes, Option<double?> Fraction,
        Option<string?> ImageDescriptions, Option<int?> LoraRank, Option<string?> Clip, Option<int?> ClipLoraRank, Option<bool> NoPrior,
        Option<bool> NoFusion, Option<int?> RefineIterations);

    public static int Train(ParseResult parse, TrainOptions o, Func<string, SliceDataset> loadTrainSet)
    {
        var training = new PgSamTrainingConfig
        {
            Seed = parse.GetValue(o.Seed), Augment = parse.GetValue(o.Augment), TimeBudgetMinutes = parse.GetValue(o.Budget),
        };
        training = training with
        {
            Epochs = parse.GetValue(o.Epochs) ?? training.Epochs,
            ImagesPerBatch = parse.GetValue(o.Batch) ?? training.ImagesPerBatch,
            LearningRate = parse.GetValue(o.Lr) ?? training.LearningRate,
            WeightDecay = parse.GetValue(o.WeightDecay) ?? training.WeightDecay,
            WarmupSteps = parse.GetValue(o.Warmup) ?? training.WarmupSteps,
            Fraction = parse.GetValue(o.Fraction) ?? training.Fraction,
        };
        try
        {
            training.Validate("training options");
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        if (parse.GetValue(o.LoraRank) is < 0) throw new UsageException("--lora-rank must be >= 0");
        if (parse.GetValue(o.ClipLoraRank) is < 0) throw new UsageException("--clip-lora-rank must be >= 0");
        if (parse.GetValue(o.RefineIterations) is < 0) throw new UsageException("--refine-iterations must be >= 0");
        string? clipPath = parse.GetValue(o.Clip);
        bool textEncoderGiven = parse.GetResult(o.TextEncoder) is { Implicit: false };
        if (clipPath is not null && textEncoderGiven) throw new UsageException("--clip and --text-encoder exclude each other: with --clip the text features are CLIP's");
        if (clipPath is null && parse.GetResult(o.ClipLoraRank) is { Implicit: false }) throw new UsageException("--clip-lora-rank needs --clip");
        if (clipPath is not null && parse.GetValue(o.NoPrior)) throw new UsageException("--clip feeds the prior, which --no-prior turns off");
        var train = WithClasses(loadTrainSet(parse.GetValue(o.Data)!), parse.GetValue(o.Classes)!);
        string outDir = parse.GetValue(o.Output)!;
        bool resuming = parse.GetValue(o.Resume);
        var descriptions = parse.GetValue(o.ImageDescriptions) is { } d ? SliceDescriptions.Load(d) : null;
        manual_seed((long)(training.Seed % long.MaxValue));

        PgSamModelConfig config;
        string? initPath = resuming ? null : parse.GetValue(o.Init);
        if (resuming)
        {
            config = PgSamModelCheckpoint.ReadConfig(CheckpointedTrainer.LatestCheckpointModel(outDir));
        }
        else
        {
            bool typeGiven = parse.GetResult(o.ModelType) is { Implicit: false };
            string? modelType = typeGiven ? Known(parse.GetValue(o.ModelType)!, SamConfig.PresetNames, "--model-type") : null;
            var sam = initPath is not null ? PgSamModelCheckpoint.SamConfigOf(initPath, modelType)
                : SamConfig.Preset(modelType ?? parse.GetValue(o.ModelType)!);
            string spec = textEncoderGiven ? parse.GetValue(o.TextEncoder)! : "hashing:512";
            var clip = clipPath is null ? null : ClipWeights.ReadConfig(clipPath);
            int clipDim = clip?.EmbedDim ?? CreateEncoder(spec).Dimension;
            var prior = new PgSamPriorConfig
            {
                TextEncoder = clip is null ? spec : PgSamPriorConfig.ClipSource,
                ImageFeatures = clip is null ? PgSamPriorConfig.NeckProjection : PgSamPriorConfig.ClipSource,
                Clip = clip,
                ClipLoraRank = parse.GetValue(o.ClipLoraRank) ?? ClipLora.DefaultRank,
                Descriptions = descriptions is null ? PgSamPriorConfig.TemplateDescriptions : PgSamPriorConfig.PerImageDescriptions,
                Template = PgSamPriorConfig.TemplateFor(train.Modality, train.Categories),
            };
            config = PgSamModelConfig.FromSam(sam, train.Categories, clipDim, prior, parse.GetValue(o.LoraRank) ?? ImageEncoderLora.DefaultRank);
            config = config with
            {
                Head = config.Head with
                {
                    Prior = !parse.GetValue(o.NoPrior), Fusion = !parse.GetValue(o.NoFusion),
                    RefineIterations = parse.GetValue(o.RefineIterations) ?? config.Head.RefineIterations,
                },
            };
            config.Validate("PG-SAM options");
        }
        if (!config.Categories.SequenceEqual(train.Categories))
            throw new InvalidDataException($"{outDir}: the checkpoint's categories differ from the training data's (check --classes)");
        if (!config.Head.Prior)
            Console.Error.WriteLine("PG-SAM without its prior (--no-prior): no CLIP, no guide matrix, no descriptions used");
        else
            Console.Error.WriteLine(
                (config.Prior.UsesClip
                    ? $"PG-SAM prior: CLIP (image tower frozen; text tower with LoRA rank {config.Prior.ClipLoraRank} on q and v)"
                    : string.Format(System.Globalization.CultureInfo.InvariantCulture, ClipNotice, config.Prior.TextEncoder)) +
                (config.Prior.Descriptions == PgSamPriorConfig.TemplateDescriptions
                    ? "; no per-image descriptions given: every slice gets the dataset template (no per-image information)"
                    : "; per-image descriptions from " + parse.GetValue(o.ImageDescriptions)));

        using var model = new PgSamModel(config);
        if (initPath is not null)
        {
            var loaded = PgSamModelCheckpoint.InitFromSam(model, initPath);
            Console.Error.WriteLine($"initialised the image encoder and {loaded.Count(n => n.StartsWith("head.", StringComparison.Ordinal))} head tensors from {initPath}");
        }
        else if (!resuming)
        {
            Console.Error.WriteLine("no --init: the image encoder starts from random weights (PG-SAM starts from a released SAM)");
        }
        if (clipPath is not null && !resuming)
        {
            PgSamModelCheckpoint.InitClip(model, clipPath);
            Console.Error.WriteLine($"loaded CLIP ({config.Prior.Clip!.EmbedDim}-d features) from {clipPath}");
        }
        var trainer = new PgSamTrainer(model, training, train, outDir, descriptions);
        var result = ConsoleProgress.Run($"training PG-SAM {config.ImageEncoder.ImgSize}px on {trainer.Subset.Count} slices", report =>
            trainer.Run(resuming, new SyncProgress<TrainingProgress>(p =>
                report(p.GlobalStep, p.TotalSteps, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3}"))));
        if (parse.GetValue(o.Json))
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else
            Console.WriteLine($"trained {result.EpochsCompleted} epoch(s), {result.Steps} steps on {trainer.Subset.Count} slices in {result.ElapsedSeconds / 60:F1} min" +
                $"{(result.StoppedByBudget ? " (time budget reached)" : "")}; last epoch loss {result.LastEpochLoss:F4}; model: {result.ModelPath}");
        return ExitCodes.Success;
    }

    static ITextEncoder CreateEncoder(string spec)
    {
        try
        {
            return TextEncoders.Create(spec);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--text-encoder: {e.Message}");
        }
    }

    static string Known(string value, IReadOnlyList<string> known, string option) =>
        known.Contains(value) ? value : throw new UsageException($"{option} '{value}' is unknown; known: {string.Join(", ", known)}");

    /// <summary>
    /// Evaluates a PG-SAM model prompt-free on the held-out slices (regrouped to the model's lobes
    /// when it was trained on them) and, with <paramref name="segsamPath"/>, a SEG-SAM model
    /// prompted on the same slices; writes each report and the comparison table.
    /// </summary>
    public static int Evaluate(string modelPath, SliceDataset test, string? segsamPath, string? descriptionsPath, bool surface, string? outDir, bool json)
    {
        using var model = PgSamModelCheckpoint.Load(modelPath);
        var fine = test;
        int[]? coarseOfLabel = null;
        if (!test.Categories.SequenceEqual(model.Config.Categories))
        {
            if (!model.Config.Categories.SequenceEqual(AalLobes.Names))
                throw new InvalidDataException($"{test.Name}: categories differ from the model's ({test.Categories.Length} vs {model.Config.Categories.Length})");
            test = Regroup(fine);
            coarseOfLabel = AalLobes.LabelMap(fine.Categories);
        }
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        var methods = new List<(string, MetricsReport)>();
        var pgsam = ConsoleProgress.Run($"PG-SAM on {test.Name}", progress =>
            PgSamEvaluator.Evaluate(model, test, descriptions, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
        methods.Add(("pgsam", pgsam));
        if (segsamPath is not null)
        {
            using var segsam = SegSamCheckpoint.Load(segsamPath);
            var map = coarseOfLabel ?? Enumerable.Range(0, fine.Categories.Length + 1).ToArray();
            var prompted = ConsoleProgress.Run($"SEG-SAM prompted on {fine.Name}", progress =>
                PgSamEvaluator.EvaluatePrompted(segsam, fine, test, map, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
            methods.Add(("segsam_prompted", prompted));
        }
        var comparison = new MethodComparison(test.Categories, methods);
        if (outDir is not null)
        {
            foreach (var (name, report) in methods)
            {
                string dir = Path.Combine(outDir, name);
                Directory.CreateDirectory(dir);
                report.WriteJson(Path.Combine(dir, "metrics.json"));
                report.WriteObjectsCsv(Path.Combine(dir, "objects.csv"));
                report.WriteCategoriesCsv(Path.Combine(dir, "categories.csv"));
            }
            AtomicFile.WriteAllText(Path.Combine(outDir, "comparison.md"), comparison.Markdown());
            AtomicFile.WriteAllText(Path.Combine(outDir, "comparison.csv"), comparison.Csv());
        }
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(methods.ToDictionary(m => m.Item1, m => new
            {
                mean_dice = comparison.MeanDice(m.Item2), mean_hd95_mm = comparison.MeanHd95(m.Item2),
                per_category = m.Item2.PerCategory.ToDictionary(g => g.Group, g => g.Dice.Mean),
            }), new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else
            Console.WriteLine(comparison.Markdown());
        return ExitCodes.Success;
    }

    /// <summary>
    /// `evaluate --protocol synapse --model`: predicts the test images of <paramref name="imagesDir"/>
    /// that have ground truth in <paramref name="labelsDir"/> into OUT/predictions; returns that folder.
    /// </summary>
    public static string PredictSynapse(string modelPath, string imagesDir, string labelsDir, string outDir, string? intensityName, string? descriptionsPath)
    {
        var intensity = Usage(() => VolumeIntensity.Parse(intensityName ?? VolumeIntensity.CtName), "--intensity");
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        using var model = PgSamModelCheckpoint.Load(modelPath);
        string predictions = Path.Combine(outDir, "predictions");
        ConsoleProgress.Run("PG-SAM on the Synapse volumes", progress =>
            SynapseFolderPredictor.Predict(model, imagesDir, labelsDir, predictions, intensity, descriptions,
                new SyncProgress<(int Done, int Total, string Case)>(p => progress(p.Done, p.Total, p.Case))));
        return predictions;
    }

    /// <summary>A library argument error as a usage error of <paramref name="option"/>.</summary>
    static T Usage<T>(Func<T> parse, string option)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
