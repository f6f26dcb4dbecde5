using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// Trains a SEG-SAM model on prepared slices: SAM-Med2D prompt simulation, the SEG-SAM loss,
/// Adam(W) with step decay. Checkpoints, exact resume, the JSONL log and the time budget are
/// <see cref="CheckpointedTrainer"/>'s.
/// </summary>
public sealed class SegSamTrainer : CheckpointedTrainer
{
    readonly SegSamModel model;
    readonly TrainingConfig config;
    readonly SliceDataset data;
    readonly PromptSampler sampler;
    /// <summary>Label value after a left/right mirror (<see cref="SliceAugmenter.LeftRightSwap"/>).</summary>
    readonly int[] leftRightSwap;
    /// <summary>The object map of the brain, for skull-stripped appearance; null when the data has none.</summary>
    readonly int? brainMap;
    /// <summary>Weight of each object map when a class-agnostic object is drawn; null: all equal.</summary>
    readonly double[]? mapWeights;
    Tensor? cached;
    /// <summary>The model whose box answers the run keeps (<see cref="TrainingConfig.BoxTeacher"/>), loaded for the run.</summary>
    SegSamModel? boxTeacher;

    public SegSamTrainer(SegSamModel model, TrainingConfig config, SliceDataset data, string outputDir)
        : base(outputDir, UsableSlices(model, config, data), config.Epochs, config.ImagesPerBatch, config.Seed, config.TimeBudgetMinutes)
    {
        this.model = model;
        this.config = config;
        this.data = data;
        sampler = new PromptSampler(config.MinAreaFraction);
        leftRightSwap = SliceAugmenter.LeftRightSwap(data.Categories);
        int brain = data.ObjectMapNames.ToList().IndexOf("brain");
        brainMap = brain >= 0 ? brain : null;
        if (config.ReclassifyTissue && brainMap is null)
            throw new InvalidDataException($"dataset {data.Name} has no brain object map, which reclassify_tissue needs to make intensity classes (its maps: {string.Join(", ", data.ObjectMapNames)})");
        var unknown = config.AgnosticMapWeights.Keys.Where(name => !data.ObjectMapNames.Contains(name)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"dataset {data.Name} has no object map {string.Join(", ", unknown)} (its maps: {string.Join(", ", data.ObjectMapNames)})");
        mapWeights = config.AgnosticMapWeights.Count == 0 ? null : data.ObjectMapNames.Select(name => config.AgnosticMapWeights.GetValueOrDefault(name, 1)).ToArray();
        var names = model.named_parameters().Select(p => p.name).ToList();
        var nothing = config.TrainOnly.Where(part => !names.Any(name => TrainingConfig.IsWithin(name, part))).ToList();
        if (nothing.Count > 0)
            throw new ArgumentException($"--train-only {string.Join(", ", nothing)}: the model has no weight there (its parts: {string.Join(", ", names.Select(n => n.Split('.')[0]).Distinct())})");
        if (config.BoxTeacher is { } teacherPath && SegSamCheckpoint.ReadConfig(teacherPath).ToJson() != model.Config.ToJson())
            throw new InvalidDataException($"{teacherPath}: the box teacher must be a SEG-SAM model of the run's config (the --init model, as it is)");
    }

    static int[] UsableSlices(SegSamModel model, TrainingConfig config, SliceDataset data)
    {
        config.Validate();
        int size = model.Config.Sam.ImageEncoder.ImgSize;
        if (data.Height != size || data.Width != size)
            throw new InvalidDataException($"dataset {data.Name} has {data.Height}×{data.Width} slices; the model takes {size}×{size} (prepare the data at the model size, or train at the data's with --img-size)");
        if (model.Config.IsSemantic && !data.Categories.SequenceEqual(model.Config.Categories))
            throw new InvalidDataException($"dataset {data.Name} categories differ from the model's ({data.Categories.Length} vs {model.Config.NumClasses})");
        var sampler = new PromptSampler(config.MinAreaFraction);
        var usable = Enumerable.Range(0, data.Slices.Count)
            .Where(i => sampler.Eligible(data.Slices[i]).Count > 0 || (config.AgnosticShare > 0 && sampler.EligibleObjects(data.Slices[i]).Count > 0)).ToArray();
        if (usable.Length == 0) throw new InvalidDataException($"dataset {data.Name} has no slice with an object large enough to prompt");
        return usable;
    }

    protected override AdamOptimizer CreateOptimizer()
    {
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = config.Trains(name);
        if (config.FreezeImageEncoder)
            foreach (var p in model.Sam.ImageEncoder.parameters()) p.requires_grad = false;
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        return new AdamOptimizer(trainable, config.LearningRate, config.WeightDecay, decoupledWeightDecay: config.Optimizer == "adamw");
    }

    protected override IDisposable? BeginRun()
    {
        cached = config.FreezeImageEncoder ? CacheEmbeddings() : null;
        if (config.BoxTeacher is { } path)
        {
            boxTeacher = SegSamCheckpoint.Load(path);
            boxTeacher.eval();
            foreach (var p in boxTeacher.parameters()) p.requires_grad = false;
        }
        return new RunResources(cached, boxTeacher);
    }

    protected override void EndRun()
    {
        foreach (var p in model.parameters()) p.requires_grad = true;
        cached = null;
        boxTeacher = null;
    }

    sealed class RunResources(Tensor? cached, SegSamModel? teacher) : IDisposable
    {
        public void Dispose()
        {
            cached?.Dispose();
            teacher?.Dispose();
        }
    }

    protected override void SetTraining(bool training)
    {
        if (training) model.train();
        else model.eval();
    }

    protected override double LearningRate(int epoch, int globalStep)
    {
        double lr = config.LrSchedule == "cosine"
            ? config.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (double)globalStep / TotalSteps)))
            : config.LearningRate * Math.Pow(config.LrGamma, config.LrMilestones.Count(m => epoch >= m));
        if (config.WarmupSteps > 0 && globalStep < config.WarmupSteps) lr *= (globalStep + 1.0) / config.WarmupSteps;
        return lr;
    }

    protected override Dictionary<string, double> Step(AdamOptimizer optimizer, int[] batch, SplitRandom rng) =>
        Step(optimizer, batch, cached, rng, model.Sam.Device);

    Dictionary<string, double> Step(AdamOptimizer optimizer, int[] batchSlices, Tensor? cached, SplitRandom rng, Device device)
    {
        using var scope = NewDisposeScope();
        bool boxes = rng.NextDouble() < config.BoxProbability;
        // Augmented copies replace the slices for this step (a frozen encoder's cached
        // embeddings are of the originals, so augmentation needs a trained encoder).
        var step = new SliceDataset
        {
            Name = data.Name, Categories = data.Categories, PixelSpacing = data.PixelSpacing,
            Slices = batchSlices.Select(i => cached is null ? Augmented(data.Slices[i], rng) : data.Slices[i]).ToList(),
        };
        var rows = Enumerable.Range(0, batchSlices.Length).ToArray();
        var objects = new List<(int, PromptedObject)>();
        foreach (int row in rows)
            foreach (var obj in sampler.SampleTraining(step.Slices[row], config.ObjectsPerImage, boxes ? 1 : 0, rng,
                         config.AgnosticShareOn(boxes), mapWeights, config.InteriorClickShare))
                objects.Add((row, obj));
        if (objects.Count == 0) return new Dictionary<string, double> { ["total"] = 0 };
        using var batch = TrainingBatch.Build(step, rows, objects, model.Config.NumClasses, device);

        var images = model.Sam.PreprocessSlices(rows.Select(i => step.Slices[i].Image), step.Height, step.Width);
        Tensor embeddings;
        Tensor? highRes;
        if (cached is not null)
        {
            embeddings = cached.index_select(0, tensor(batchSlices.Select(i => (long)i).ToArray(), device: device));
            highRes = model.HasHighResStem ? model.EncodeHighRes(images) : null;
        }
        else
        {
            (embeddings, highRes) = model.EncodeImages(images);
        }
        // Training prompts are a lone box or a lone click: the tokens that answer them at inference learn.
        var outputs = model.Config.AnswerTokens(batch.Boxes is not null, (int)(batch.Points?.shape[1] ?? 0), maskInput: false);
        using var output = Answer(model, embeddings, highRes, batch, outputs);
        var loss = SegSamLoss.Compute(output, batch, config, model.Config.Sam.ImageEncoder.ImgSize, outputs);
        var parts = new Dictionary<string, double>(loss.Parts);
        var total = loss.Total;
        if (boxes && boxTeacher is not null && config.BoxTeacherWeight > 0 && total.requires_grad)
        {
            var kept = BoxTeacherTerm(output, images, batch, outputs);
            parts["box_teacher"] = kept.item<float>();
            total = total.Plus(kept.Times(config.BoxTeacherWeight));
            parts["total"] = total.item<float>();
        }
        // With --train-only, a step whose answer no trained weight takes part in (clicks, when only the box tokens learn) has nothing to learn.
        if (!total.requires_grad)
        {
            parts["skipped_nothing_to_train"] = 1;
            return parts;
        }
        optimizer.ZeroGrad();
        total.backward();
        if (optimizer.GradientsAreFinite()) optimizer.StepOnce();
        else parts["skipped_nonfinite_gradient"] = 1;
        return parts;
    }

    /// <summary>A model's answers to the step's prompts (a lone box or a lone click each), from the slices' embeddings.</summary>
    static SegSamOutput Answer(SegSamModel answering, Tensor embeddings, Tensor? highRes, TrainingBatch batch, MaskOutputs outputs) =>
        answering.Decode(embeddings.index_select(0, batch.ImageIndex), batch.Points, batch.PointLabels, batch.Boxes, null,
            outputs, highRes?.index_select(0, batch.ImageIndex));

    /// <summary>
    /// How far the model's box answers are from the box teacher's on the same slices and boxes: the
    /// Bernoulli KL divergence of every mask's low-resolution logits from the teacher's (zero when
    /// they agree), averaged over pixels, plus the squared error of the predicted IoUs.
    /// </summary>
    Tensor BoxTeacherTerm(SegSamOutput output, Tensor images, TrainingBatch batch, MaskOutputs outputs)
    {
        using var scope = NewDisposeScope();
        Tensor targetMasks, targetIou;
        using (no_grad())
        {
            var (embeddings, highRes) = boxTeacher!.EncodeImages(images);
            using var teacher = Answer(boxTeacher, embeddings, highRes, batch, outputs);
            targetMasks = teacher.BinaryMasks.sigmoid();
            targetIou = teacher.Iou.clone();
        }
        // BCE(student, p) − BCE(teacher, p) = KL(p ‖ student) for Bernoulli p: the term is 0 at the teacher's answer.
        var entropy = nn.functional.binary_cross_entropy(targetMasks.Clamped(1e-6, 1 - 1e-6), targetMasks);
        var kl = nn.functional.binary_cross_entropy_with_logits(output.BinaryMasks, targetMasks).sub(entropy);
        var iou = nn.functional.mse_loss(output.Iou, targetIou);
        return kl.Plus(iou).MoveToOuterDisposeScope();
    }

    LabelledSlice Augmented(LabelledSlice slice, SplitRandom rng)
    {
        if (config.FlipLeftRight && rng.NextDouble() < 0.5) slice = SliceAugmenter.FlipLeftRight(slice, leftRightSwap);
        if (config.Augment) slice = SliceAugmenter.Augment(slice, rng);
        if (config.AugmentAppearance) slice = SliceAugmenter.AugmentAppearance(slice, rng, brainMap);
        if (config.AugmentContrast && rng.NextDouble() < 0.5) slice = SliceAugmenter.RemapContrast(slice, rng);
        if (config.ReclassifyTissue) slice = AgnosticObjects.Reclassified(slice, data.ObjectMapNames);
        return slice;
    }

    /// <summary>Image embeddings of every slice (frozen encoder), computed once: S×D×g×g.</summary>
    Tensor CacheEmbeddings()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var device = model.Sam.Device;
        var chunks = new List<Tensor>();
        for (int start = 0; start < data.Slices.Count; start += 8)
        {
            var indices = Enumerable.Range(start, Math.Min(8, data.Slices.Count - start));
            chunks.Add(model.Sam.ImageEncoder.forward(model.Sam.PreprocessSlices(indices.Select(i => data.Slices[i].Image), data.Height, data.Width)));
        }
        return cat(chunks, 0).MoveToOuterDisposeScope();
    }

    protected override void SaveModel(string path, int epoch, int steps, double seconds) =>
        SegSamCheckpoint.Save(model, path, new Dictionary<string, string>
        {
            ["segsam.training"] = config.ToJson(),
            ["segsam.epochs_completed"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.steps"] = steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.train_seconds"] = seconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.dataset"] = data.Name,
        });

    protected override void LoadModel(string path)
    {
        using var weights = CheckpointFile.Load(path);
        WeightLoader.Load(model, weights, path);
    }
}
