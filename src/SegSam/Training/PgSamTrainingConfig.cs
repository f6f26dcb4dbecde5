using System.Text.Json;

namespace SegSam.Training;

/// <summary>
/// How to train PG-SAM (saved with every checkpoint). Defaults are the released recipe
/// (SPEC §4): AdamW with weight decay 0.1, base lr 0.0026, 250 warm-up steps then poly decay
/// (power 0.9), batch 8, loss 0.2·CE + 0.8·Dice on the low-res and the full-size masks.
/// </summary>
public sealed record PgSamTrainingConfig : Modeling.IValidatedConfig
{
    public int Epochs { get; init; } = 300;
    public int ImagesPerBatch { get; init; } = 8;
    public double LearningRate { get; init; } = 0.0026;
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Linear warm-up steps: step k (0-based) of the warm-up uses lr · (k + 1) / warmup.</summary>
    public int WarmupSteps { get; init; } = 250;
    /// <summary>Poly decay after the warm-up: lr · (1 − (k − warmup) / total_steps)^power.</summary>
    public double PolyPower { get; init; } = 0.9;
    /// <summary>Weight of the Dice term in each resolution's loss (CE gets 1 − it).</summary>
    public double DiceWeight { get; init; } = 0.8;
    /// <summary>Share of the training slices used (few-shot: 0.1), a seeded subset of at least one slice.</summary>
    public double Fraction { get; init; } = 1.0;
    public ulong Seed { get; init; } = 42;
    /// <summary>Stop (with a checkpoint) once this much wall time has passed; null: no limit.</summary>
    public double? TimeBudgetMinutes { get; init; }
    /// <summary>Random rotation/scale/shift and intensity changes of training slices (SliceAugmenter).</summary>
    public bool Augment { get; init; }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based) of a run of <paramref name="totalSteps"/> steps.</summary>
    public double LearningRateAt(int step, int totalSteps)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1.0) / WarmupSteps;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, totalSteps));
        return LearningRate * Math.Pow(1 - progress, PolyPower);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Modeling.ConfigJson.Options);

    public static PgSamTrainingConfig FromJson(string json, string source = "training config") =>
        Modeling.ConfigJson.Parse<PgSamTrainingConfig>(json, source, "PG-SAM training config");

    public void Validate(string source = "training config")
    {
        var Check = Modeling.ConfigJson.Checker(source);
        Check(Epochs >= 1, "epochs must be at least 1");
        Check(ImagesPerBatch >= 1, "images_per_batch must be at least 1");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate must be positive");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight_decay must be >= 0");
        Check(WarmupSteps >= 0, "warmup_steps must be >= 0");
        Check(PolyPower >= 0 && double.IsFinite(PolyPower), "poly_power must be >= 0");
        Check(DiceWeight is >= 0 and <= 1, "dice_weight must lie in [0, 1]");
        Check(Fraction is > 0 and <= 1, "fraction must lie in (0, 1]");
        Check(TimeBudgetMinutes is null or > 0, "time_budget_minutes must be positive");
    }
}
