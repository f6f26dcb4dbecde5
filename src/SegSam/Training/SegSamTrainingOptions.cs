namespace SegSam.Training;

/// <summary>
/// What a SEG-SAM training run is asked for, as plain values (the options of `segsam train`):
/// where it writes, how it trains, and how a new model is made; a resumed run takes its model
/// config from its latest checkpoint and ignores the model options.
/// </summary>
public sealed record SegSamTrainingOptions
{
    /// <summary>Folder of model.safetensors, train_log.jsonl and checkpoints/.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>How to train (its <see cref="TrainingConfig.Seed"/> also seeds the new model's weights).</summary>
    public TrainingConfig Training { get; init; } = new();

    /// <summary>Continue the run in <see cref="OutputFolder"/> from its latest checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>SAM size, one of <see cref="Modeling.SamConfig.PresetNames"/> (without <see cref="ConfigPath"/>).</summary>
    public string ModelType { get; init; } = "vit_t_128";

    /// <summary>SEG-SAM parts, one of <see cref="Modeling.SegSamConfig.VariantNames"/> (without <see cref="ConfigPath"/>).</summary>
    public string Variant { get; init; } = "full";

    /// <summary>A SEG-SAM config JSON, instead of <see cref="ModelType"/> and <see cref="Variant"/>.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>A released SAM-family checkpoint that initialises the SAM part.</summary>
    public string? InitPath { get; init; }

    /// <summary>Text encoder spec (<see cref="Text.TextEncoders"/>) of the category descriptions.</summary>
    public string TextEncoder { get; init; } = "hashing:256";

    /// <summary>Category descriptions JSON embedded for the text-vision enhancer (read only when the model has one).</summary>
    public required string DescriptionsPath { get; init; }

    /// <summary>Add the learned inside/outside-the-box prior to the mask logits.</summary>
    public bool BoxPrior { get; init; }

    /// <summary>Width of a pixel-level feature stem for the mask decoders; null: none.</summary>
    public int? HighResChannels { get; init; }

    /// <summary>Train and answer boxes with SAM's candidate masks too (<see cref="Modeling.SegSamConfig.BoxCandidates"/>); also when fine-tuning a model without them.</summary>
    public bool BoxCandidates { get; init; }
    /// <summary>
    /// Box candidates with mask tokens of their own (<see cref="Modeling.SegSamConfig.BoxCandidateTokens"/>; implies
    /// <see cref="BoxCandidates"/>). Fine-tuning a model without them starts them as copies of its click candidates.
    /// </summary>
    public bool BoxCandidateTokens { get; init; }

    /// <summary>
    /// The model's input size when it differs from the preset's or the init model's (e.g. 256 to fine-tune a
    /// 128² model on 256² slices); the encoder's position tables are resized as SAM-Med2D does. Null: as given.
    /// </summary>
    public int? ImageSize { get; init; }
}
