using System.Text.Json.Nodes;

namespace SegSam.Reporting;

/// <summary>One optimiser step of a train_log.jsonl: the learning rate and each loss part ("total" among them).</summary>
public sealed record TrainingStep(int Epoch, int Step, double LearningRate, double ElapsedSeconds, IReadOnlyDictionary<string, double> Loss);
