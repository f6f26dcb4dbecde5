using System.Text.Json;

namespace SegSam.Training;

/// <summary>
/// Where a training run stands, saved with each checkpoint: the epoch in progress and how many
/// of its steps are done, the random state at the epoch's start (to rebuild its order) and now
/// (to continue the draws), the global step and the wall time used, and the loss sum of the
/// epoch's steps so far (so that a mid-epoch resume logs the same epoch mean). A resumed run
/// trains until its own epoch count, which may be larger than the first run's.
/// </summary>
public sealed record TrainerState(int Epoch, int StepInEpoch, int GlobalStep, ulong EpochStartRng, ulong Rng, double ElapsedSeconds,
                                  double EpochLossSum = 0, int EpochLossCount = 0)
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainerState FromJson(string json, string source) =>
        JsonSerializer.Deserialize<TrainerState>(json, Json) ?? throw new InvalidDataException($"{source}: empty trainer state");
}
