using System.Globalization;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Modeling.Clip;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// A PG-SAM training run made ready from plain options, so that a front end only parses and
/// prints: the classes chosen, the model config assembled (prior, CLIP, LoRA ranks, ablation
/// switches; the latest checkpoint's when resuming), libtorch seeded, the model built and
/// initialised from a released SAM or a SEG-SAM model and from CLIP. <see cref="TrainingRun.Train"/> then
/// runs <see cref="PgSamTrainer"/> on it.
/// </summary>
public sealed class PgSamTrainingRun : TrainingRun
{
    /// <summary>The notice of a prior without CLIP; {0} is the text encoder.</summary>
    public const string ClipNotice =
        "PG-SAM prior without CLIP (no --clip weights): text features come from the offline text encoder ({0}) " +
        "and image features from a learned projection of the SAM neck (see docs/pgsam.md)";

    PgSamTrainingRun(PgSamModel model, PgSamTrainer trainer, bool resume) : base(model, trainer, resume)
    {
        Config = model.Config;
        TrainingSlices = trainer.Subset.Count;
    }

    public PgSamModelConfig Config { get; }

    /// <summary>The side of the square slices the model takes, in pixels.</summary>
    public int ImageSize => Config.ImageEncoder.ImgSize;

    /// <summary>How many training slices the run uses (all, or the few-shot subset).</summary>
    public int TrainingSlices { get; }

    /// <summary>Chooses the classes, reads the per-image descriptions, resolves the config, seeds libtorch, builds the model and, for a new run, loads its init and CLIP weights.</summary>
    /// <param name="train">The training slices with the data's own categories (<see cref="SliceDataset.LoadSplit"/>).</param>
    /// <param name="notice">Gets each line a user should read (which prior, which weights initialised the model) when it happens.</param>
    public static PgSamTrainingRun Prepare(SliceDataset train, PgSamTrainingOptions options, Action<string>? notice = null)
    {
        var data = ClassGrouping.Apply(train, options.Classes);
        var descriptions = options.ImageDescriptionsPath is { } path ? SliceDescriptions.Load(path) : null;
        // The new model's random weights are the first draws after the seed, so a seed gives one model.
        manual_seed((long)(options.Training.Seed % long.MaxValue));
        var config = ResolveConfig(data, options);
        notice?.Invoke(PriorNotice(config, options.ImageDescriptionsPath));

        var model = new PgSamModel(config);
        try
        {
            if (!options.Resume) InitialiseWeights(model, options, notice);
            return new PgSamTrainingRun(model, new PgSamTrainer(model, options.Training, data, options.OutputFolder, descriptions), options.Resume);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The model config of the run: the latest checkpoint's when resuming (its categories must be
    /// the data's), else SAM's size (from the init checkpoint or the preset) with the prior, LoRA
    /// ranks and ablation switches of the options, validated.
    /// </summary>
    /// <param name="train">The training slices with the run's classes (<see cref="ClassGrouping.Apply"/>).</param>
    public static PgSamModelConfig ResolveConfig(SliceDataset train, PgSamTrainingOptions options)
    {
        if (options.Resume)
        {
            var saved = PgSamModelCheckpoint.ReadConfig(CheckpointedTrainer.LatestCheckpointModel(options.OutputFolder));
            if (!saved.Categories.SequenceEqual(train.Categories))
                throw new InvalidDataException($"{options.OutputFolder}: the checkpoint's categories differ from the training data's (check --classes)");
            return saved;
        }
        var sam = options.InitPath is { } initPath ? PgSamModelCheckpoint.SamConfigOf(initPath, options.ModelType)
            : SamConfig.Preset(options.ModelType ?? PgSamTrainingOptions.DefaultModelType);
        string spec = options.TextEncoder ?? PgSamTrainingOptions.DefaultTextEncoder;
        var clip = options.ClipPath is { } clipPath ? ClipWeights.ReadConfig(clipPath) : null;
        int clipDim = clip?.EmbedDim ?? TextEncoders.Create(spec).Dimension;
        var prior = new PgSamPriorConfig
        {
            TextEncoder = clip is null ? spec : PgSamPriorConfig.ClipSource,
            ImageFeatures = clip is null ? PgSamPriorConfig.NeckProjection : PgSamPriorConfig.ClipSource,
            Clip = clip,
            ClipLoraRank = options.ClipLoraRank ?? ClipLora.DefaultRank,
            Descriptions = options.ImageDescriptionsPath is null ? PgSamPriorConfig.TemplateDescriptions : PgSamPriorConfig.PerImageDescriptions,
            Template = PgSamPriorConfig.TemplateFor(train.Modality, train.Categories),
        };
        var config = PgSamModelConfig.FromSam(sam, train.Categories, clipDim, prior, options.LoraRank ?? ImageEncoderLora.DefaultRank);
        config = config with
        {
            Head = config.Head with
            {
                Prior = options.Prior, Fusion = options.Fusion,
                RefineIterations = options.RefineIterations ?? config.Head.RefineIterations,
            },
        };
        config.Validate("PG-SAM options");
        return config;
    }

    /// <summary>A new model's weights: the image encoder and the head's SAM parts from the init checkpoint, CLIP from its weights.</summary>
    static void InitialiseWeights(PgSamModel model, PgSamTrainingOptions options, Action<string>? notice)
    {
        if (options.InitPath is { } initPath)
        {
            var loaded = PgSamModelCheckpoint.InitFromSam(model, initPath);
            notice?.Invoke($"initialised the image encoder and {loaded.Count(n => n.StartsWith("head.", StringComparison.Ordinal))} head tensors from {initPath}");
        }
        else
        {
            notice?.Invoke("no --init: the image encoder starts from random weights (PG-SAM starts from a released SAM)");
        }
        if (options.ClipPath is { } clipPath)
        {
            PgSamModelCheckpoint.InitClip(model, clipPath);
            notice?.Invoke($"loaded CLIP ({model.Config.Prior.Clip!.EmbedDim}-d features) from {clipPath}");
        }
    }

    /// <summary>What feeds the prior: CLIP or its offline stand-in, and per-image descriptions or the template.</summary>
    static string PriorNotice(PgSamModelConfig config, string? imageDescriptionsPath)
    {
        if (!config.Head.Prior) return "PG-SAM without its prior (--no-prior): no CLIP, no guide matrix, no descriptions used";
        return (config.Prior.UsesClip
                   ? $"PG-SAM prior: CLIP (image tower frozen; text tower with LoRA rank {config.Prior.ClipLoraRank} on q and v)"
                   : string.Format(CultureInfo.InvariantCulture, ClipNotice, config.Prior.TextEncoder)) +
               (config.Prior.Descriptions == PgSamPriorConfig.TemplateDescriptions
                   ? "; no per-image descriptions given: every slice gets the dataset template (no per-image information)"
                   : "; per-image descriptions from " + imageDescriptionsPath);
    }
}
