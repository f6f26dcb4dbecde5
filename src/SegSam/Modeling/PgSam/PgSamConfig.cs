using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// The PG-SAM head: everything after the SAM image encoder's neck (SPEC §4; released code
/// logan-0623/PG-SAM at 01b0005). The released model is <c>dim</c> 256, 8 heads, two-way
/// transformer MLP 2048, depth 2, 9 classes (background + 8 organs), 1 refinement iteration,
/// 224 input (14×14 grid), CLIP ViT-B/32 features (512). The three switches give the ablations:
/// <see cref="Prior"/> off is the released code's path without a guide matrix (no fusion, no
/// guide in the decoder); <see cref="Fusion"/> off keeps the guide in the decoder but leaves the
/// image embedding as the encoder made it; <see cref="RefineIterations"/> 0 skips the iterative
/// mask optimizer (its weights are kept, as in the reference).
/// </summary>
public sealed record PgSamConfig : IValidatedConfig
{
    /// <summary>Width of the neck output, the prompt tokens and the decoder (256 in SAM).</summary>
    public int Dim { get; init; } = 256;
    /// <summary>Attention heads of the fusion encoder layers and of the two-way transformer.</summary>
    public int NumHeads { get; init; } = 8;
    /// <summary>Hidden width of the two-way transformer's MLP.</summary>
    public int MlpDim { get; init; } = 2048;
    /// <summary>Layers of the two-way transformer.</summary>
    public int Depth { get; init; } = 2;
    /// <summary>Transformer-encoder layers of the pre-decoder fusion (MultiScaleCrossAttention).</summary>
    public int FusionDepth { get; init; } = 2;
    /// <summary>Output classes including background: the decoder has <c>num_classes + 1</c> mask tokens.</summary>
    public int NumClasses { get; init; } = 9;
    /// <summary>Iterations of the mask optimizer (0: none).</summary>
    public int RefineIterations { get; init; } = 1;
    public int InputSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    /// <summary>Width of the CLIP image and text features.</summary>
    public int ClipDim { get; init; } = 512;
    /// <summary>Channels of the prompt encoder's (unused, prompt-free) mask downscaling.</summary>
    public int MaskInChans { get; init; } = 16;
    /// <summary>The fine-grained modality prior aligner and its guide matrix.</summary>
    public bool Prior { get; init; } = true;
    /// <summary>Fusion of the guide into the image embedding before the decoder (only with the prior: it fuses the guide).</summary>
    public bool Fusion { get; init; } = true;

    /// <summary>Whether the pre-decoder fusion runs: it needs the prior's guide matrix.</summary>
    [JsonIgnore] public bool UsesFusion => Prior && Fusion;

    /// <summary>Side of the square embedding grid (14 for 224 input).</summary>
    [JsonIgnore] public int GridSize => InputSize / PatchSize;

    /// <summary>Side of the low-resolution mask logits (4× the grid).</summary>
    [JsonIgnore] public int LowResSize => 4 * GridSize;

    /// <summary>The model in words, e.g. "PG-SAM: prior + fusion + 1 refinement iteration".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Prior) parts.Add("prior");
        if (UsesFusion) parts.Add("fusion");
        parts.Add(RefineIterations == 1 ? "1 refinement iteration" : $"{RefineIterations} refinement iterations");
        return "PG-SAM: " + string.Join(" + ", parts);
    }

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);

    public static PgSamConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<PgSamConfig>(json, source, "PG-SAM config");

    public static PgSamConfig Load(string path) => ConfigJson.Load<PgSamConfig>(path, "PG-SAM config");

    /// <summary>Rejects configs the modules could not be built from, naming the offending field.</summary>
    public void Validate(string source = "config")
    {
        var Check = ConfigJson.Checker(source);
        Check(Dim > 0 && Dim % 8 == 0, $"dim ({Dim}) must be a positive multiple of 8 (the decoder upscales to dim / 8 channels)");
        Check(NumHeads > 0 && (Dim / 2) % NumHeads == 0, $"num_heads ({NumHeads}) must divide dim / 2 ({Dim / 2})");
        Check(MlpDim > 0, "mlp_dim must be positive");
        Check(Depth >= 1, "depth must be >= 1");
        Check(FusionDepth >= 1, "fusion_depth must be >= 1");
        Check(NumClasses >= 1, "num_classes must be >= 1");
        Check(RefineIterations >= 0, "refine_iterations must be >= 0");
        Check(InputSize > 0 && PatchSize > 0 && InputSize % PatchSize == 0,
            $"input_size ({InputSize}) must be a positive multiple of patch_size ({PatchSize})");
        Check(ClipDim > 0, "clip_dim must be positive");
        Check(MaskInChans >= 4 && MaskInChans % 4 == 0, "mask_in_chans must be a positive multiple of 4");
        // Bounds far above the released model's (SamConfig.CheckSizes says why they exist).
        Check(Dim <= SamConfig.MaxWidth && MaskInChans <= SamConfig.MaxWidth && ClipDim <= SamConfig.MaxWidth,
            $"dim, mask_in_chans and clip_dim must be at most {SamConfig.MaxWidth}");
        Check(GridSize <= SamConfig.MaxGrid, $"input_size / patch_size must be at most {SamConfig.MaxGrid} tokens a side");
        Check(Depth <= SamConfig.MaxDecoderDepth && FusionDepth <= SamConfig.MaxDecoderDepth,
            $"depth and fusion_depth must be at most {SamConfig.MaxDecoderDepth} (the released model: 2 and 2)");
        Check(RefineIterations <= MaxRefineIterations, $"refine_iterations ({RefineIterations}) must be at most {MaxRefineIterations} (the released model: 1)");
        Check(NumClasses <= MaxClasses, $"num_classes ({NumClasses}) must be at most {MaxClasses}");
        double floor = ParameterFloor.PgSamHead(this);
        Check(floor <= ParameterFloor.MaxParameters,
            $"the head would have at least {floor:G3} parameters, more than the {ParameterFloor.MaxParameters:G3} this build accepts");
    }

    public const int MaxRefineIterations = 32;
    public const int MaxClasses = 10000;
}
