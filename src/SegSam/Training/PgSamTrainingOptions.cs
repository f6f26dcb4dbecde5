using SegSam.Data;

namespace SegSam.Training;

/// <summary>
/// What a PG-SAM training run is asked for, as plain values (the options of
/// `segsam train --model pgsam`); null means the released recipe's default. A resumed run takes
/// its model config from its latest checkpoint and ignores the model options.
/// </summary>
public sealed record PgSamTrainingOptions
{
    /// <summary>The SAM size when neither <see cref="ModelType"/> nor an <see cref="InitPath"/> with a config says it.</summary>
    public const string DefaultModelType = "vit_t_128";

    /// <summary>The offline text encoder that stands in for CLIP's text tower.</summary>
    public const string DefaultTextEncoder = "hashing:512";

    /// <summary>Folder of model.safetensors, train_log.jsonl and checkpoints/.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>How to train (its <see cref="PgSamTrainingConfig.Seed"/> also seeds the new model's weights).</summary>
    public PgSamTrainingConfig Training { get; init; } = new();

    /// <summary>Continue the run in <see cref="OutputFolder"/> from its latest checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>The classes to learn, one of <see cref="ClassGrouping.Names"/>.</summary>
    public string Classes { get; init; } = ClassGrouping.Dataset;

    /// <summary>SAM size (<see cref="Modeling.SamConfig.PresetNames"/>); null: the <see cref="InitPath"/> checkpoint's, else <see cref="DefaultModelType"/>.</summary>
    public string? ModelType { get; init; }

    /// <summary>A SAM-family or SEG-SAM checkpoint that initialises the image encoder and the head's SAM parts; null: random weights.</summary>
    public string? InitPath { get; init; }

    /// <summary>Text encoder spec of the prior without CLIP; null: <see cref="DefaultTextEncoder"/>.</summary>
    public string? TextEncoder { get; init; }

    /// <summary>CLIP ViT-B/32 weights for the prior (image tower on the slice, text tower with LoRA); null: the offline stand-in.</summary>
    public string? ClipPath { get; init; }

    /// <summary>LoRA rank on q and v of every encoder block (0 freezes the encoder); null: the default rank.</summary>
    public int? LoraRank { get; init; }

    /// <summary>LoRA rank on q and v of every CLIP text block, with <see cref="ClipPath"/>; null: the default rank.</summary>
    public int? ClipLoraRank { get; init; }

    /// <summary>Per-slice descriptions for the prior (JSON or a folder of ID.txt); null: one dataset-level template sentence.</summary>
    public string? ImageDescriptionsPath { get; init; }

    /// <summary>The prior aligner (false: the ablation without guide matrix, hence without fusion).</summary>
    public bool Prior { get; init; } = true;

    /// <summary>The guide reaches the image embedding too (false: the decoder only).</summary>
    public bool Fusion { get; init; } = true;

    /// <summary>Iterations of the mask optimizer; null: the head's default.</summary>
    public int? RefineIterations { get; init; }
}
