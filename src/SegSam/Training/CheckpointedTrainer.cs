using System.Diagnostics;
using System.Text.Json;
using SegSam.Data;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Training;

/// <summary>
/// The run loop that every trainer shares: epochs over a seeded shuffle of the training items,
/// one optimizer step per batch, a JSONL log line per step and per epoch, and a checkpoint —
/// model, optimizer and trainer state — written into a new folder every epoch (and when the
/// time budget ends the run) before checkpoints/latest.json is pointed at it, so a crash never
/// leaves a half-written checkpoint; a resumed run continues exactly where the checkpoint was
/// taken (same weights, moments, random draws and log). Subclasses say what a step does, which
/// parameters train, the learning rate of a step and how the model is saved and loaded.
/// A cancelled run stops like one out of time, after the step in progress and with a checkpoint
/// there, but then throws <see cref="OperationCanceledException"/> instead of saving the model.
/// </summary>
public abstract class CheckpointedTrainer
{
    readonly string outputDir;
    readonly int[] items;
    readonly int epochs, batchSize;
    readonly ulong seed;
    readonly double? timeBudgetMinutes;

    /// <param name="items">Indices of the training items (slices) an epoch visits once each, in a shuffled order.</param>
    protected CheckpointedTrainer(string outputDir, int[] items, int epochs, int batchSize, ulong seed, double? timeBudgetMinutes)
    {
        if (items.Length == 0) throw new ArgumentException("nothing to train on", nameof(items));
        this.outputDir = outputDir;
        this.items = items;
        this.epochs = epochs;
        this.batchSize = batchSize;
        this.seed = seed;
        this.timeBudgetMinutes = timeBudgetMinutes;
    }

    public int StepsPerEpoch => (items.Length + batchSize - 1) / batchSize;
    public int TotalSteps => epochs * StepsPerEpoch;
    string CheckpointsDir => Path.Combine(outputDir, "checkpoints");
    string LogPath => Path.Combine(outputDir, "train_log.jsonl");
    public string ModelPath => Path.Combine(outputDir, "model.safetensors");

    /// <summary>Marks what trains (requires_grad) and builds the optimizer over it.</summary>
    protected abstract AdamOptimizer CreateOptimizer();

    /// <summary>Anything the steps need once the weights are final for the run (e.g. cached embeddings); disposed at the end.</summary>
    protected virtual IDisposable? BeginRun() => null;

    /// <summary>Undoes what <see cref="CreateOptimizer"/> changed on the model (always called).</summary>
    protected virtual void EndRun() { }

    /// <summary>Puts the model into training (true) or evaluation mode.</summary>
    protected abstract void SetTraining(bool training);

    protected abstract double LearningRate(int epoch, int globalStep);

    /// <summary>One optimizer step on the given items; returns the loss parts (with "total").</summary>
    protected abstract Dictionary<string, double> Step(AdamOptimizer optimizer, int[] batch, SplitRandom rng);

    protected abstract void SaveModel(string path, int epochsCompleted, int steps, double seconds);

    protected abstract void LoadModel(string path);

    public TrainingResult Run(bool resume, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(outputDir);
        try
        {
            using var optimizer = CreateOptimizer();
            var state = new TrainerState(0, 0, 0, seed, seed, 0);
            if (resume)
            {
                state = LoadLatest(optimizer) ?? throw new InvalidDataException($"{CheckpointsDir}: no checkpoint to resume from");
                TrimLog(state.GlobalStep);
            }
            else if (File.Exists(LogPath))
            {
                File.Delete(LogPath);
            }
            using var resources = BeginRun();
            return Loop(optimizer, state, progress, cancel);
        }
        finally
        {
            SetTraining(false);
            EndRun();
        }
    }

    TrainingResult Loop(AdamOptimizer optimizer, TrainerState state, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        SetTraining(true);
        var clock = Stopwatch.StartNew();
        double elapsedBefore = state.ElapsedSeconds;
        int epoch = state.Epoch, globalStep = state.GlobalStep, stepInEpoch = state.StepInEpoch;
        var rng = new SplitRandom(state.EpochStartRng);
        double lastEpochLoss = double.NaN;
        bool stoppedByBudget = false, cancelled = false, stopped = false;
        using (var log = new StreamWriter(LogPath, append: true))
        {
            for (; epoch < epochs; epoch++)
            {
                ulong epochStart = rng.State;
                var order = items.ToArray();
                rng.Shuffle(order);
                double lossSum = 0;
                int lossCount = 0;
                if (stepInEpoch > 0)
                {
                    // Resuming mid-epoch: continue the saved draws and the epoch's loss sum.
                    rng = new SplitRandom(state.Rng);
                    (lossSum, lossCount) = (state.EpochLossSum, state.EpochLossCount);
                }
                for (; stepInEpoch < StepsPerEpoch; stepInEpoch++)
                {
                    // Cancelled before this run took a step: the checkpoint it started from stands.
                    cancel.ThrowIfCancellationRequested();
                    double lr = LearningRate(epoch, globalStep);
                    optimizer.LearningRate = lr;
                    var batch = order.Skip(stepInEpoch * batchSize).Take(batchSize).ToArray();
                    var parts = Step(optimizer, batch, rng);
                    globalStep++;
                    lossSum += parts["total"];
                    lossCount++;
                    var elapsed = TimeSpan.FromSeconds(elapsedBefore + clock.Elapsed.TotalSeconds);
                    WriteLog(log, new Dictionary<string, object>
                    {
                        ["epoch"] = epoch + 1, ["step"] = globalStep, ["lr"] = lr, ["elapsed_s"] = Math.Round(elapsed.TotalSeconds, 2),
                        ["loss"] = parts,
                    });
                    progress?.Report(new TrainingProgress(epoch + 1, epochs, stepInEpoch + 1, StepsPerEpoch, globalStep,
                        TotalSteps, parts["total"], lr, elapsed));
                    stoppedByBudget = timeBudgetMinutes is { } budget && elapsed.TotalMinutes >= budget;
                    cancelled = cancel.IsCancellationRequested;
                    if (stoppedByBudget || cancelled)
                    {
                        stopped = true;
                        stepInEpoch++;
                        break;
                    }
                }
                lastEpochLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
                double seconds = elapsedBefore + clock.Elapsed.TotalSeconds;
                if (stopped && stepInEpoch < StepsPerEpoch)
                {
                    SaveCheckpoint(optimizer, new TrainerState(epoch, stepInEpoch, globalStep, epochStart, rng.State, seconds, lossSum, lossCount));
                    break;
                }
                WriteLog(log, new Dictionary<string, object> { ["epoch_end"] = epoch + 1, ["step"] = globalStep, ["mean_loss"] = lastEpochLoss, ["elapsed_s"] = Math.Round(seconds, 2) });
                SaveCheckpoint(optimizer, new TrainerState(epoch + 1, 0, globalStep, rng.State, rng.State, seconds));
                stepInEpoch = 0;
                if (stopped) { epoch++; break; }
            }
        }
        SetTraining(false);
        // The checkpoint just written is where a resumed run continues.
        if (cancelled) throw new OperationCanceledException("training cancelled; resume continues from the last checkpoint", cancel);
        double total = elapsedBefore + clock.Elapsed.TotalSeconds;
        SaveModel(ModelPath, epoch, globalStep, total);
        return new TrainingResult(epoch, globalStep, total, stoppedByBudget, ModelPath, lastEpochLoss);
    }

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

    /// <summary>The model file of the checkpoint latest.json points at in <paramref name="outputDir"/>.</summary>
    public static string LatestCheckpointModel(string outputDir)
    {
        string pointer = Path.Combine(outputDir, "checkpoints", "latest.json");
        if (!File.Exists(pointer)) throw new FileNotFoundException($"{outputDir}: nothing to resume (no checkpoints/latest.json)", pointer);
        using var doc = JsonDocument.Parse(InputFile.ReadAllText(pointer));
        string name = doc.RootElement.GetProperty("dir").GetString() ?? throw new InvalidDataException($"{pointer}: no checkpoint folder named");
        return Path.Combine(outputDir, "checkpoints", name, "model.safetensors");
    }

    TrainerState? LoadLatest(AdamOptimizer optimizer)
    {
        if (!File.Exists(Path.Combine(CheckpointsDir, "latest.json"))) return null;
        string modelPath = LatestCheckpointModel(outputDir);
        string dir = Path.GetDirectoryName(modelPath)!;
        LoadModel(modelPath);
        optimizer.Load(Path.Combine(dir, "optimizer.safetensors"));
        string statePath = Path.Combine(dir, "state.json");
        return TrainerState.FromJson(InputFile.ReadAllText(statePath), statePath);
    }

    /// <summary>Drops log lines written after the checkpoint being resumed, so the log reads as one run.</summary>
    void TrimLog(int globalStep)
    {
        if (!File.Exists(LogPath)) return;
        var kept = InputFile.ReadAllLines(LogPath).Where(line =>
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
