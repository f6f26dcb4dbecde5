using System.Diagnostics;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// Trains a SEG-SAM model on prepared slices: SAM-Med2D prompt simulation, the SEG-SAM loss,
/// Adam(W) with step decay. Every epoch (and when the time budget ends the run) it writes a
/// checkpoint — model, optimizer and trainer state — into a new folder and then points
/// checkpoints/latest.json at it, so a crash never leaves a half-written checkpoint; a resumed
/// run continues exactly where the checkpoint was taken. A JSONL log gets one line per step
/// and per epoch.
/// </summary>
public sealed class SegSamTrainer
{
    readonly SegSamModel model;
    readonly TrainingConfig config;
    readonly SliceDataset data;
    readonly string outputDir;
    readonly PromptSampler sampler;
    readonly int[] usable;

    public SegSamTrainer(SegSamModel model, TrainingConfig config, SliceDataset data, string outputDir)
    {
        config.Validate();
        this.model = model;
        this.config = config;
        this.data = data;
        this.outputDir = outputDir;
        sampler = new PromptSampler(config.MinAreaFraction);
        int size = model.Config.Sam.ImageEncoder.ImgSize;
        if (data.Height != size || data.Width != size)
            throw new InvalidDataException($"dataset {data.Name} has {data.Height}×{data.Width} slices; the model takes {size}×{size} (prepare the data at the model size)");
        if (model.Config.IsSemantic && !data.Categories.SequenceEqual(model.Config.Categories))
            throw new InvalidDataException($"dataset {data.Name} categories differ from the model's ({data.Categories.Length} vs {model.Config.NumClasses})");
        usable = Enumerable.Range(0, data.Slices.Count).Where(i => sampler.Eligible(data.Slices[i]).Count > 0).ToArray();
        if (usable.Length == 0) throw new InvalidDataException($"dataset {data.Name} has no slice with an object large enough to prompt");
    }

    public int StepsPerEpoch => (usable.Length + config.ImagesPerBatch - 1) / config.ImagesPerBatch;
    string CheckpointsDir => Path.Combine(outputDir, "checkpoints");
    string LogPath => Path.Combine(outputDir, "train_log.jsonl");
    public string ModelPath => Path.Combine(outputDir, "model.safetensors");

    public TrainingResult Run(bool resume, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(outputDir);
        var device = model.Sam.Device;
        var encoderParams = model.Sam.ImageEncoder.parameters().ToHashSet();
        foreach (var p in encoderParams) p.requires_grad = !config.FreezeImageEncoder;
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        using var optimizer = new AdamOptimizer(trainable, config.LearningRate, config.WeightDecay, decoupledWeightDecay: config.Optimizer == "adamw");

        var state = new TrainerState(0, 0, 0, config.Seed, config.Seed, 0);
        if (resume)
        {
            state = LoadLatest(optimizer) ?? throw new InvalidDataException($"{CheckpointsDir}: no checkpoint to resume from");
            TrimLog(state.GlobalStep);
        }
        else if (File.Exists(LogPath))
        {
            File.Delete(LogPath);
        }

        using var cached = config.FreezeImageEncoder ? CacheEmbeddings() : null;
        model.train();
        var clock = Stopwatch.StartNew();
        double elapsedBefore = state.ElapsedSeconds;
        int epoch = state.Epoch, globalStep = state.GlobalStep, stepInEpoch = state.StepInEpoch;
        var rng = new SplitRandom(state.EpochStartRng);
        double lastEpochLoss = double.NaN;
        bool stoppedByBudget = false;
        using var log = new StreamWriter(LogPath, append: true);
        try
        {
            for (; epoch < config.Epochs; epoch++)
            {
                ulong epochStart = rng.State;
                var order = usable.ToArray();
                rng.Shuffle(order);
                if (stepInEpoch > 0) rng = new SplitRandom(state.Rng); // resuming mid-epoch: continue the saved draws
                double lossSum = 0;
                int lossCount = 0;
                for (; stepInEpoch < StepsPerEpoch; stepInEpoch++)
                {
                    cancel.ThrowIfCancellationRequested();
                    double lr = LearningRate(epoch, globalStep);
                    optimizer.LearningRate = lr;
                    var batchSlices = order.Skip(stepInEpoch * config.ImagesPerBatch).Take(config.ImagesPerBatch).ToArray();
                    var parts = Step(optimizer, batchSlices, cached, rng, device);
                    globalStep++;
                    lossSum += parts["total"];
                    lossCount++;
                    var elapsed = TimeSpan.FromSeconds(elapsedBefore + clock.Elapsed.TotalSeconds);
                    WriteLog(log, new Dictionary<string, object>
                    {
                        ["epoch"] = epoch + 1, ["step"] = globalStep, ["lr"] = lr, ["elapsed_s"] = Math.Round(elapsed.TotalSeconds, 2),
                        ["loss"] = parts,
                    });
                    progress?.Report(new TrainingProgress(epoch + 1, config.Epochs, stepInEpoch + 1, StepsPerEpoch, globalStep,
                        config.Epochs * StepsPerEpoch, parts["total"], lr, elapsed));
                    if (config.TimeBudgetMinutes is { } budget && elapsed.TotalMinutes >= budget)
                    {
                        stoppedByBudget = true;
                        stepInEpoch++;
                        break;
                    }
                }
                lastEpochLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
                double seconds = elapsedBefore + clock.Elapsed.TotalSeconds;
                if (stoppedByBudget && stepInEpoch < StepsPerEpoch)
                {
                    SaveCheckpoint(optimizer, new TrainerState(epoch, stepInEpoch, globalStep, epochStart, rng.State, seconds));
                    break;
                }
                WriteLog(log, new Dictionary<string, object> { ["epoch_end"] = epoch + 1, ["step"] = globalStep, ["mean_loss"] = lastEpochLoss, ["elapsed_s"] = Math.Round(seconds, 2) });
                SaveCheckpoint(optimizer, new TrainerState(epoch + 1, 0, globalStep, rng.State, rng.State, seconds));
                stepInEpoch = 0;
                if (stoppedByBudget) { epoch++; break; }
            }
        }
        finally
        {
            model.eval();
            foreach (var p in encoderParams) p.requires_grad = true;
        }
        double total = elapsedBefore + clock.Elapsed.TotalSeconds;
        SaveModel(ModelPath, epoch, globalStep, total);
        return new TrainingResult(epoch, globalStep, total, stoppedByBudget, ModelPath, lastEpochLoss);
    }

    double LearningRate(int epoch, int globalStep)
    {
        double lr = config.LrSchedule == "cosine"
            ? config.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (double)globalStep / (config.Epochs * StepsPerEpoch))))
            : config.LearningRate * Math.Pow(config.LrGamma, config.LrMilestones.Count(m => epoch >= m));
        if (config.WarmupSteps > 0 && globalStep < config.WarmupSteps) lr *= (globalStep + 1.0) / config.WarmupSteps;
        return lr;
    }

    Dictionary<string, double> Step(AdamOptimizer optimizer, int[] batchSlices, Tensor? cached, SplitRandom rng, Device device)
    {
        using var scope = NewDisposeScope();
        bool boxes = rng.NextDouble() < config.BoxProbability;
        // Augmented copies replace the slices for this step (a frozen encoder's cached
        // embeddings are of the originals, so augmentation needs a trained encoder).
        var step = new SliceDataset
        {
            Name = data.Name, Categories = data.Categories, PixelSpacing = data.PixelSpacing,
            Slices = batchSlices.Select(i => config.Augment && cached is null ? SliceAugmenter.Augment(data.Slices[i], rng) : data.Slices[i]).ToList(),
        };
        var rows = Enumerable.Range(0, batchSlices.Length).ToArray();
        var objects = new List<(int, PromptedObject)>();
        foreach (int row in rows)
            foreach (var obj in sampler.SampleTraining(step.Slices[row], config.ObjectsPerImage, boxes ? 1 : 0, rng))
                objects.Add((row, obj));
        if (objects.Count == 0) return new Dictionary<string, double> { ["total"] = 0 };
        using var batch = TrainingBatch.Build(step, rows, objects, model.Config.NumClasses, device);

        var images = TrainingBatch.Images(model.Sam, step, rows, device);
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
        using var output = model.Decode(embeddings.index_select(0, batch.ImageIndex), batch.Points, batch.PointLabels, batch.Boxes, null,
            multimaskOutput: !boxes, highRes?.index_select(0, batch.ImageIndex));
        var loss = SegSamLoss.Compute(output, batch, config, model.Config.Sam.ImageEncoder.ImgSize);
        optimizer.ZeroGrad();
        loss.Total.backward();
        optimizer.StepOnce();
        return new Dictionary<string, double>(loss.Parts);
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
            chunks.Add(model.Sam.ImageEncoder.forward(TrainingBatch.Images(model.Sam, data, indices, device)));
        }
        return cat(chunks, 0).MoveToOuterDisposeScope();
    }

    void SaveModel(string path, int epoch, int steps, double seconds) =>
        SegSamCheckpoint.Save(model, path, new Dictionary<string, string>
        {
            ["segsam.training"] = config.ToJson(),
            ["segsam.epochs_completed"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.steps"] = steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.train_seconds"] = seconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
            ["segsam.dataset"] = data.Name,
        });

    void SaveCheckpoint(AdamOptimizer optimizer, TrainerState state)
    {
        string name = $"step-{state.GlobalStep:D7}";
        string dir = Path.Combine(CheckpointsDir, name);
        Directory.CreateDirectory(dir);
        SaveModel(Path.Combine(dir, "model.safetensors"), state.Epoch, state.GlobalStep, state.ElapsedSeconds);
        optimizer.Save(Path.Combine(dir, "optimizer.safetensors"));
        AtomicFile.WriteAllText(Path.Combine(dir, "state.json"), state.ToJson());
        // The pointer is written last: until then the previous checkpoint stays the latest.
        AtomicFile.WriteAllText(Path.Combine(CheckpointsDir, "latest.json"), JsonSerializer.Serialize(new { dir = name }));
        foreach (var old in Directory.GetDirectories(CheckpointsDir).Where(d => Path.GetFileName(d) != name))
            Directory.Delete(old, recursive: true);
    }

    TrainerState? LoadLatest(AdamOptimizer optimizer)
    {
        string pointer = Path.Combine(CheckpointsDir, "latest.json");
        if (!File.Exists(pointer)) return null;
        string name = JsonDocument.Parse(File.ReadAllText(pointer)).RootElement.GetProperty("dir").GetString()
            ?? throw new InvalidDataException($"{pointer}: no checkpoint folder named");
        string dir = Path.Combine(CheckpointsDir, name);
        using (var weights = CheckpointFile.Load(Path.Combine(dir, "model.safetensors")))
            WeightLoader.Load(model, weights, Path.Combine(dir, "model.safetensors"));
        optimizer.Load(Path.Combine(dir, "optimizer.safetensors"));
        string statePath = Path.Combine(dir, "state.json");
        return TrainerState.FromJson(File.ReadAllText(statePath), statePath);
    }

    /// <summary>Drops log lines written after the checkpoint being resumed, so the log reads as one run.</summary>
    void TrimLog(int globalStep)
    {
        if (!File.Exists(LogPath)) return;
        var kept = File.ReadAllLines(LogPath).Where(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("step").GetInt32() <= globalStep;
        }).ToList();
        AtomicFile.WriteAllText(LogPath, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    static void WriteLog(StreamWriter log, Dictionary<string, object> entry)
    {
        log.WriteLine(JsonSerializer.Serialize(entry));
        log.Flush();
    }
}
