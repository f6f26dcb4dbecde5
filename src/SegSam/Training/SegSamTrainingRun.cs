using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.IO;
using SegSam.Modeling;
using SegSam.Text;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// A SEG-SAM training run made ready from plain options, so that a front end only parses and
/// prints: the model config resolved (from the latest checkpoint when resuming, else from a
/// config file or a preset and variant), libtorch seeded, the model built, its SAM part
/// initialised from a released checkpoint and its category text embeddings computed.
/// <see cref="TrainingRun.Train"/> then runs <see cref="SegSamTrainer"/> on it.
/// </summary>
public sealed class SegSamTrainingRun : TrainingRun
{
    SegSamTrainingRun(SegSamModel model, SegSamTrainer trainer, bool resume) : base(model, trainer, resume)
    {
        Config = model.Config;
    }

    public SegSamConfig Config { get; }

    /// <summary>The side of the square slices the model takes, in pixels.</summary>
    public int ImageSize => Config.Sam.ImageEncoder.ImgSize;

    /// <summary>Resolves the config, seeds libtorch, builds the model and, for a new run, loads its init weights and text embeddings.</summary>
    /// <param name="train">The training slices (<see cref="SliceDataset.LoadSplit"/>).</param>
    /// <param name="notice">Gets each line a user should read (which weights initialised the model) when it happens.</param>
    public static SegSamTrainingRun Prepare(SliceDataset train, SegSamTrainingOptions options, Action<string>? notice = null)
    {
        // The new model's random weights are the first draws after the seed, so a seed gives one model.
        manual_seed((long)(options.Training.Seed % long.MaxValue));
        var model = new SegSamModel(ResolveConfig(train, options));
        try
        {
            if (!options.Resume) InitialiseWeights(model, train.Categories, options, notice);
            return new SegSamTrainingRun(model, new SegSamTrainer(model, options.Training, train, options.OutputFolder), options.Resume);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The model config of the run: the latest checkpoint's when resuming, else the config file's, an
    /// init SEG-SAM model's (fine-tuning: as it is), or the preset's and variant's, with the training
    /// data's categories and the model options applied.
    /// </summary>
    public static SegSamConfig ResolveConfig(SliceDataset train, SegSamTrainingOptions options)
    {
        SegSamConfig config;
        if (options.Resume)
            config = SegSamCheckpoint.ReadConfig(CheckpointedTrainer.LatestCheckpointModel(options.OutputFolder));
        else if (options.ConfigPath is { } path)
            config = SegSamConfig.FromJson(InputFile.ReadAllText(path), path);
        else if (options.InitPath is { } initPath && SegSamCheckpoint.IsSegSamCheckpoint(initPath))
        {
            // Box candidates (SAM's decoder has the tokens) and test-time mirroring add no weights, and box
            // candidates' own tokens start as copies of the click candidates, so fine-tuning may switch them on;
            // another input size only resizes the encoder's position tables.
            var init = SegSamCheckpoint.ReadConfig(initPath);
            return WithImageSize(WithTrainingSwitches(init, options), options.ImageSize);
        }
        else
            config = SegSamConfig.Variant(options.Variant, SamConfig.Preset(options.ModelType), train.Categories,
                TextEncoders.Create(options.TextEncoder).Dimension);
        if (config.IsSemantic || config.TextEnhancer.Enabled)
            config = config with { Categories = train.Categories };
        if (options.Resume) return config;
        // A config file names its own text encoder; a preset takes the one asked for.
        if (config.TextEnhancer.Enabled && options.ConfigPath is null)
            config = config with { TextEnhancer = config.TextEnhancer with { TextEncoder = options.TextEncoder } };
        if (options.BoxPrior) config = config with { BoxPrior = true };
        if (options.HighResChannels is { } channels) config = config with { HighResChannels = channels };
        return WithImageSize(WithTrainingSwitches(config, options), options.ImageSize);
    }

    /// <summary>
    /// The switches a run may turn on in any model: box candidates (with or without tokens of their
    /// own), and test-time mirroring for a model that learns from left–right flips (<see cref="SegSamConfig.TestTimeMirroring"/>).
    /// </summary>
    static SegSamConfig WithTrainingSwitches(SegSamConfig config, SegSamTrainingOptions options) => config with
    {
        BoxCandidates = config.BoxCandidates || options.BoxCandidates || options.BoxCandidateTokens,
        BoxCandidateTokens = config.BoxCandidateTokens || options.BoxCandidateTokens,
        TestTimeMirroring = config.TestTimeMirroring || options.Training.FlipLeftRight,
    };

    static SegSamConfig WithImageSize(SegSamConfig config, int? size)
    {
        if (size is not { } s) return config;
        var encoder = config.Sam.ImageEncoder;
        if (s <= 0 || s % encoder.PatchSize != 0)
            throw new ArgumentException($"--img-size {s} must be a positive multiple of the encoder's patch size {encoder.PatchSize}");
        return config with { Sam = config.Sam with { ImageEncoder = encoder with { ImgSize = s } } };
    }

    /// <summary>
    /// A new model's weights: the whole model from an init SEG-SAM model of the same config, or the
    /// SAM part from a released SAM-family checkpoint; the text-vision enhancer's category embeddings.
    /// </summary>
    static void InitialiseWeights(SegSamModel model, string[] categories, SegSamTrainingOptions options, Action<string>? notice)
    {
        if (options.InitPath is { } initPath && SegSamCheckpoint.IsSegSamCheckpoint(initPath))
        {
            // A SEG-SAM model of the same config continues as a whole (fine-tuning); a different one is refused rather than half-loaded.
            var initConfig = SegSamCheckpoint.ReadConfig(initPath);
            var sameSwitches = initConfig with
            {
                BoxCandidates = model.Config.BoxCandidates, BoxCandidateTokens = model.Config.BoxCandidateTokens,
                TestTimeMirroring = model.Config.TestTimeMirroring,
            };
            if (WithImageSize(sameSwitches, model.Config.Sam.ImageEncoder.ImgSize).ToJson() != model.Config.ToJson())
                throw new InvalidDataException($"{initPath}: a SEG-SAM model of another config than the run's (give --config with its .json to fine-tune it)");
            using var weights = CheckpointFile.Load(initPath);
            // Another input size resizes the encoder's position tables (SamCheckpoint.LoadWeights adapts them).
            bool newBoxTokens = model.BoxCandidateTokens is not null && !initConfig.BoxCandidateTokens;
            var report = SamCheckpoint.LoadWeights(model, weights, initPath, strict: !newBoxTokens);
            if (newBoxTokens)
            {
                // Only the new tokens may be missing; they start as the click candidates they replace for boxes.
                if (report.Unexpected.Count > 0 || report.Missing.Any(k => !k.StartsWith(SegSamModel.BoxCandidateTokensPrefix, StringComparison.Ordinal)))
                    throw new CheckpointMismatchException(initPath, report);
                model.BoxCandidateTokens!.CopyClickCandidates(model.Sam.MaskDecoder);
            }
            int initSize = initConfig.Sam.ImageEncoder.ImgSize, size = model.Config.Sam.ImageEncoder.ImgSize;
            notice?.Invoke($"initialised the whole SEG-SAM model from {initPath}" +
                (initSize == size ? "" : $" (trained at {initSize}², position embeddings resized to {size}²)") +
                (newBoxTokens ? "; box candidates' own tokens start as copies of its click candidates" : ""));
        }
        else if (options.InitPath is { } samPath)
        {
            var report = SegSamCheckpoint.LoadSamWeights(model, samPath);
            notice?.Invoke($"initialised SAM from {samPath}{(report.IsExact ? "" : Environment.NewLine + report.Describe())}");
        }
        if (model.TextEnhancer is { } enhancer)
        {
            using var embeddings = CategoryEmbeddings(categories, options.DescriptionsPath, options.TextEncoder, (int)enhancer.TextDim);
            enhancer.SetTextEmbeddings(embeddings);
        }
    }

    /// <summary>Each category's description embedded with the text encoder (cached next to the descriptions), categories × dimension.</summary>
    static Tensor CategoryEmbeddings(string[] categories, string descriptionsPath, string encoderSpec, int dimension)
    {
        var descriptions = CategoryDescriptions.Load(descriptionsPath);
        var encoder = new CachedTextEncoder(TextEncoders.Create(encoderSpec), CachedTextEncoder.PathNextTo(descriptionsPath));
        if (encoder.Dimension != dimension)
            throw new ArgumentException($"--text-encoder {encoderSpec} gives {encoder.Dimension}-d embeddings; the model expects {dimension}");
        var vectors = encoder.Encode(categories.Select(descriptions.TextFor).ToList());
        return tensor(vectors.SelectMany(v => v).ToArray(), [categories.Length, dimension]);
    }
}
