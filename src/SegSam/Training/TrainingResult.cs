namespace SegSam.Training;

/// <summary>What a run did.</summary>
public sealed record TrainingResult(int EpochsCompleted, int Steps, double ElapsedSeconds, bool StoppedByBudget, string ModelPath, double LastEpochLoss);
