using System.Text.Json;

namespace SegSam.Training;

/// <summary>
/// How to train a SEG-SAM model (saved with every checkpoint). Defaults follow the paper:
/// Adam, lr 1e-4 halved at epochs 5 and 10, 15 epochs, 5 objects per image, λ = 10, CMSA on.
/// </summary>
public sealed record TrainingConfig : Modeling.IValidatedConfig
{
    public int Epochs { get; init; } = 15;
    public int ImagesPerBatch { get; init; } = 8;
    public int ObjectsPerImage { get; init; } = 5;
    /// <summary>Probability that a step prompts with boxes (otherwise one point per object).</summary>
    public double BoxProbability { get; init; } = 0.5;
    /// <summary>"adam" or "adamw".</summary>
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; }
    /// <summary>"step" (multiply by <see cref="LrGamma"/> at the milestones) or "cosine" (to 0 over all steps).</summary>
    public string LrSchedule { get; init; } = "step";
    /// <summary>Epochs after which the learning rate is multiplied by <see cref="LrGamma"/>.</summary>
    public int[] LrMilestones { get; init; } = [5, 10];
    public double LrGamma { get; init; } = 0.5;
    /// <summary>Linear warm-up over the first steps (0: none).</summary>
    public int WarmupSteps { get; init; }
    public ulong Seed { get; init; } = 42;
    /// <summary>Freeze the image encoder and train on cached embeddings (the paper's setting).</summary>
    public bool FreezeImageEncoder { get; init; }
    public double FocalWeight { get; init; } = 20;
    public double DiceWeight { get; init; } = 1;
    public double IouWeight { get; init; } = 1;
    /// <summary>
    /// Train the IoU head on every returned mask rather than only the least-loss one, so that the
    /// highest predicted IoU picks among candidates well (SAM 2's training loss has this switch,
    /// supervise_all_iou, facebookresearch/sam2 training/loss_fns.py).
    /// </summary>
    public bool SuperviseAllIou { get; init; }
    /// <summary>λ of the presence BCE (SEG-SAM Eq. 11).</summary>
    public double LambdaBce { get; init; } = 10;
    /// <summary>Cross-mask spatial alignment loss (SEG-SAM Eq. 10).</summary>
    public bool Cmsa { get; init; } = true;
    /// <summary>Stop (with a checkpoint) once this much wall time has passed; null: no limit.</summary>
    public double? TimeBudgetMinutes { get; init; }
    public double MinAreaFraction { get; init; } = 0.00153;
    /// <summary>Random rotation/scale/shift and intensity changes of training slices (SliceAugmenter).</summary>
    public bool Augment { get; init; }
    /// <summary>Scanner/subject appearance changes of training slices (<see cref="Data.SliceAugmenter.AugmentAppearance"/>).</summary>
    public bool AugmentAppearance { get; init; }
    /// <summary>With probability ½ another T1 contrast of a training slice (<see cref="Data.SliceAugmenter.RemapContrast"/>), after the appearance changes.</summary>
    public bool AugmentContrast { get; init; }
    /// <summary>Make the slices' intensity-class objects again from each augmented image (<see cref="Data.AgnosticObjects.Reclassified"/>).</summary>
    public bool ReclassifyTissue { get; init; }
    /// <summary>Mirror half of the training slices left to right, swapping …_L and …_R categories.</summary>
    public bool FlipLeftRight { get; init; }
    /// <summary>Share of prompted objects drawn from the slices' class-agnostic objects when they have some (0: categories only).</summary>
    public double AgnosticShare { get; init; }
    /// <summary>Relative weights of the object maps by name when a class-agnostic object is drawn (maps not named: 1; empty: all equal).</summary>
    public Dictionary<string, double> AgnosticMapWeights { get; init; } = [];
    /// <summary>
    /// The share of class-agnostic objects on click steps (null: <see cref="AgnosticShare"/>). A lone
    /// click inside a parcel of another atlas asks for an object of the parcel's size with other
    /// borders than the category's under the same click; a box says which extent is meant. But with
    /// box candidates that share the click's candidate masks (no <see cref="Modeling.SegSamConfig.BoxCandidateTokens"/>),
    /// boxes that do not say which object they mean are answered by them, so a lower share on clicks
    /// also teaches those candidates fewer such objects.
    /// </summary>
    public double? PointAgnosticShare { get; init; }
    /// <summary>
    /// Share of training clicks drawn from the object's core (pixels at least half as deep as its
    /// deepest one, <see cref="Data.PromptSampler.CorePoint"/>) instead of anywhere in it (0: SAM's uniform clicks).
    /// </summary>
    public double InteriorClickShare { get; init; }
    /// <summary>
    /// Train only the weights whose state-dict names lie under these parts (e.g. "box_candidate_tokens"
    /// or "sam.mask_decoder"); every other weight keeps its initial value. Empty: train everything.
    /// Fine-tuning the box candidates' own tokens alone leaves every click answer exactly as it was.
    /// </summary>
    public string[] TrainOnly { get; init; } = [];
    /// <summary>
    /// A SEG-SAM model of the same config whose answers to boxes the run keeps (null: none). On box
    /// steps it answers the same augmented slices and boxes, and the model learns its masks (soft
    /// targets, binary cross-entropy) and predicted IoUs (squared error) beside the ground truth, so
    /// that clicks can train on while boxes stay as they were: learning without forgetting
    /// (Li &amp; Hoiem 2016, "Learning without Forgetting", ECCV), with the teacher the model's own init.
    /// </summary>
    public string? BoxTeacher { get; init; }
    /// <summary>Weight of the box teacher's term on box steps (the focal term's weight is <see cref="FocalWeight"/>).</summary>
    public double BoxTeacherWeight { get; init; } = 20;

    /// <summary>Whether <see cref="TrainOnly"/> lets the weight named <paramref name="name"/> learn.</summary>
    public bool Trains(string name) => TrainOnly.Length == 0 || TrainOnly.Any(part => IsWithin(name, part));

    /// <summary>Whether the state-dict name <paramref name="name"/> is the part <paramref name="part"/> or lies under it.</summary>
    internal static bool IsWithin(string name, string part) => name == part || name.StartsWith(part + ".", StringComparison.Ordinal);

    /// <summary>The share of class-agnostic objects on a step that prompts with boxes, or with clicks.</summary>
    public double AgnosticShareOn(bool boxSteps) => boxSteps ? AgnosticShare : PointAgnosticShare ?? AgnosticShare;

    public string ToJson() => JsonSerializer.Serialize(this, Modeling.ConfigJson.Options);

    public static TrainingConfig FromJson(string json, string source = "training config") =>
        Modeling.ConfigJson.Parse<TrainingConfig>(json, source, "training config");

    public void Validate(string source = "training config")
    {
        var Check = Modeling.ConfigJson.Checker(source);
        Check(Epochs >= 1, "epochs must be at least 1");
        Check(ImagesPerBatch >= 1 && ObjectsPerImage >= 1, "images_per_batch and objects_per_image must be at least 1");
        Check(BoxProbability is >= 0 and <= 1, "box_probability must lie in [0, 1]");
        Check(Optimizer is "adam" or "adamw", "optimizer must be adam or adamw");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate must be positive");
        Check(LrGamma > 0, "lr_gamma must be positive");
        Check(LrSchedule is "step" or "cosine", "lr_schedule must be step or cosine");
        Check(TimeBudgetMinutes is null or > 0, "time_budget_minutes must be positive");
        Check(AgnosticShare is >= 0 and <= 1, "agnostic_share must lie in [0, 1]");
        Check(AgnosticMapWeights.Values.All(w => w >= 0 && double.IsFinite(w)), "agnostic_map_weights must be non-negative");
        Check(PointAgnosticShare is null or >= 0 and <= 1, "point_agnostic_share must lie in [0, 1]");
        Check(InteriorClickShare is >= 0 and <= 1, "interior_click_share must lie in [0, 1]");
        Check(BoxTeacherWeight >= 0 && double.IsFinite(BoxTeacherWeight), "box_teacher_weight must be non-negative");
        Check(TrainOnly.All(part => part.Length > 0 && !part.StartsWith('.') && !part.EndsWith('.')), "train_only names parts of the model (e.g. box_candidate_tokens), not empty or dotted at an end");
    }
}
