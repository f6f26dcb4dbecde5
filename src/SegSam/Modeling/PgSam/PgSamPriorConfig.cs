using System.Text.Json;
using System.Text.Json.Serialization;
using SegSam.Modeling.Clip;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// Where the prior aligner's two inputs come from. PG-SAM uses CLIP ViT-B/32 (image tower on the
/// slice, text tower with LoRA on q and v on a per-slice description written by a medical LLM);
/// either input can be CLIP's (<see cref="ClipSource"/>, the architecture in <see cref="Clip"/>,
/// weights from a public CLIP checkpoint) or our offline fallback:
/// <list type="bullet">
/// <item>text: the offline text encoder <see cref="TextEncoder"/> (e.g. "hashing:512", width =
/// the head's clip_dim) of each slice's description, computed once and not trained;</item>
/// <item>image: a learned linear projection of the mean-pooled SAM neck output
/// (<c>clip_image_proj</c>), a trainable stand-in for CLIP's image tower;</item>
/// </list>
/// Descriptions: <c>"per_image"</c> — one text per slice id from a file given at training and
/// evaluation time; <c>"template"</c> — the fixed sentence <see cref="Template"/> listing the
/// categories for every slice, which carries no per-image information (the prior then only
/// learns from the image side).
/// </summary>
public sealed record PgSamPriorConfig
{
    public const string NeckProjection = "neck_projection";
    public const string ClipSource = "clip";
    public const string TemplateDescriptions = "template";
    public const string PerImageDescriptions = "per_image";

    /// <summary>"clip" (CLIP's text tower with LoRA) or an offline encoder spec such as "hashing:512".</summary>
    public string TextEncoder { get; init; } = "hashing:512";
    /// <summary>"clip" (CLIP's image tower, frozen) or "neck_projection".</summary>
    public string ImageFeatures { get; init; } = NeckProjection;
    public string Descriptions { get; init; } = TemplateDescriptions;
    /// <summary>The dataset-level sentence used for every slice when <see cref="Descriptions"/> is "template".</summary>
    public string Template { get; init; } = "";
    /// <summary>CLIP's architecture when either input is CLIP's (its weights are part of the model).</summary>
    public ClipConfig? Clip { get; init; }
    /// <summary>LoRA rank on q and v of every CLIP text block (PG-SAM: 4; 0 = text tower frozen).</summary>
    public int ClipLoraRank { get; init; } = ClipLora.DefaultRank;

    [JsonIgnore] public bool ClipText => TextEncoder == ClipSource;
    [JsonIgnore] public bool ClipImage => ImageFeatures == ClipSource;
    [JsonIgnore] public bool UsesClip => ClipText || ClipImage;

    /// <summary>"A MR slice of the brain showing frontal, parietal, … (as labelled)".</summary>
    public static string TemplateFor(string modality, IReadOnlyList<string> categories) =>
        $"A {(string.IsNullOrWhiteSpace(modality) ? "medical" : modality)} image slice that may show: {string.Join(", ", categories.Select(c => c.Replace('_', ' ')))}.";
}
