using System.Globalization;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// Trains PG-SAM prompt-free on prepared slices with the released recipe
/// (<see cref="PgSamTrainingConfig"/>): only the encoder's LoRA factors, the prior's image-feature
/// stand-in and the head train; AdamW, warm-up then poly decay over all steps; the loss of
/// <see cref="PgSamLoss"/>. Checkpoints, exact resume, log and time budget are
/// <see cref="CheckpointedTrainer"/>'s. Dropout draws come from a torch seed drawn from the run's
/// own random stream at every step, so a resumed run repeats them too.
/// </summary>
public sealed class PgSamTrainer : CheckpointedTrainer
{
    readonly PgSamModel model;
    readonly PgSamTrainingConfig config;
    readonly SliceDataset data;
    readonly Tensor textInputs;
    readonly int lowRes;

    /// <summary>The training slices used (all, or the few-shot subset), as indices into the dataset.</summary>
    public IReadOnlyList<int> Subset { get; }

    public PgSamTrainer(PgSamModel model, PgSamTrainingConfig config, SliceDataset data, string outputDir, SliceDescriptions? descriptions = null)
        : this(model, config, data, outputDir, descriptions, SubsetOf(model, config, data))
    {
    }

    PgSamTrainer(PgSamModel model, PgSamTrainingConfig config, SliceDataset data, string outputDir, SliceDescriptions? descriptions, int[] subset)
        : base(outputDir, subset, config.Epochs, config.ImagesPerBatch, config.Seed, config.TimeBudgetMinutes)
    {
        this.model = model;
        this.config = config;
        this.data = data;
        Subset = subset;
        lowRes = model.Config.Head.LowResSize;
        textInputs = PgSamPrior.TextInputs(model.Config, data.Slices.Select(s => s.Id).ToList(), descriptions);
    }

    static int[] SubsetOf(PgSamModel model, PgSamTrainingConfig config, SliceDataset data)
    {
        config.Validate();
        int size = model.ImgSize;
        if (data.Slices.Count == 0) throw new InvalidDataException($"dataset {data.Name} has no slices");
        if (data.Height != size || data.Width != size)
            throw new InvalidDataException($"dataset {data.Name} has {data.Height}×{data.Width} slices; the model takes {size}×{size} (prepare the data at the model size)");
        if (!data.Categories.SequenceEqual(model.Config.Categories))
            throw new InvalidDataException($"dataset {data.Name} categories ({data.Categories.Length}) differ from the model's ({model.Config.Categories.Length})");
        return FewShot.Subset(data.Slices.Count, config.Fraction, config.Seed);
    }

    protected override AdamOptimizer CreateOptimizer()
    {
        // oneDNN's convolution backward returned NaN gradients at random here (same inputs, same
        // seed; autograd's anomaly mode names ConvolutionBackward0), as from uninitialised memory:
        // PG-SAM trains with libtorch's own convolution kernels.
        TorchRuntime.SetMkldnn(false);
        foreach (var p in model.parameters()) p.requires_grad = false;
        var trainable = model.TrainableParameters();
        foreach (var (_, p) in trainable) p.requires_grad = true;
        return new AdamOptimizer(trainable, config.LearningRate, config.WeightDecay, decoupledWeightDecay: true);
    }

    protected override void EndRun() => TorchRuntime.SetMkldnn(true);

    protected override void SetTraining(bool training)
    {
        if (training) model.train();
        else model.eval();
    }

    protected override double LearningRate(int epoch, int globalStep) => config.LearningRateAt(globalStep, TotalSteps);

    protected override Dictionary<string, double> Step(AdamOptimizer optimizer, int[] batch, SplitRandom rng)
    {
        using var scope = NewDisposeScope();
        manual_seed((long)(rng.NextUInt64() >> 1));
        var slices = batch.Select(i => config.Augment ? SliceAugmenter.Augment(data.Slices[i], rng) : data.Slices[i]).ToList();
        var device = model.Device;
        int size = model.ImgSize, channels = model.Config.ImageEncoder.InChans;
        var pixels = stack(slices.Select(s => tensor(s.Image, [1, size, size], device: device).expand(channels, -1, -1)), 0);
        var labels = tensor(slices.SelectMany(s => s.Labels.Select(l => (long)l)).ToArray(), [slices.Count, size, size], device: device);
        var lowLabels = tensor(slices.SelectMany(s => PgSamLoss.DownsampleLabels(s.Labels, size, size, lowRes).Select(l => (long)l)).ToArray(),
            [slices.Count, lowRes, lowRes], device: device);
        var text = textInputs.index_select(0, tensor(batch.Select(i => (long)i).ToArray())).to(device);
        using var output = model.forward(model.Preprocess(pixels), text);
        var (loss, parts) = PgSamLoss.Compute(output.Masks, lowLabels, model.Upscale(output.Masks), labels, config.DiceWeight);
        if (!double.IsFinite(parts["total"]))
            throw new InvalidOperationException($"the loss is not finite ({string.Join(", ", parts.Select(kv => $"{kv.Key} {kv.Value}"))}); lower the learning rate (--lr)");
        optimizer.ZeroGrad();
        loss.backward();
        if (optimizer.GradientsAreFinite()) optimizer.StepOnce();
        else parts["skipped_nonfinite_gradient"] = 1;
        return parts;
    }

    protected override void SaveModel(string path, int epochsCompleted, int steps, double seconds) =>
        PgSamModelCheckpoint.Save(model, path, new Dictionary<string, string>
        {
            ["segsam.training"] = config.ToJson(),
            ["segsam.epochs_completed"] = epochsCompleted.ToString(CultureInfo.InvariantCulture),
            ["segsam.steps"] = steps.ToString(CultureInfo.InvariantCulture),
            ["segsam.train_seconds"] = seconds.ToString("F1", CultureInfo.InvariantCulture),
            ["segsam.dataset"] = data.Name,
            ["segsam.training_slices"] = string.Join(",", Subset.Select(i => data.Slices[i].Id)),
        });

    protected override void LoadModel(string path)
    {
        using var weights = CheckpointFile.Load(path);
        WeightLoader.Load(model, weights, path);
    }
}
