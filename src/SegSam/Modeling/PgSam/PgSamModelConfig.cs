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

/// <summary>
/// A whole PG-SAM model (SPEC §4): a SAM ViT image encoder with LoRA of rank
/// <see cref="LoraRank"/> on q and v of every block (otherwise frozen), the prior's image-feature
/// stand-in and the PG-SAM head. <see cref="Head"/>'s dim, grid and classes follow the encoder
/// and <see cref="Categories"/> (num_classes = background + categories).
/// </summary>
public sealed record PgSamModelConfig : IValidatedConfig
{
    public ImageEncoderConfig ImageEncoder { get; init; } = new();
    public double[] PixelMean { get; init; } = [123.675, 116.28, 103.53];
    public double[] PixelStd { get; init; } = [58.395, 57.12, 57.375];
    /// <summary>LoRA rank on q and v of every encoder block (0: encoder entirely frozen).</summary>
    public int LoraRank { get; init; } = ImageEncoderLora.DefaultRank;
    public PgSamConfig Head { get; init; } = new();
    /// <summary>Category names; class c + 1 of the head's output is category c, class 0 background.</summary>
    public string[] Categories { get; init; } = [];
    public PgSamPriorConfig Prior { get; init; } = new();

    /// <summary>
    /// A PG-SAM model on top of a SAM configuration: the head takes the SAM decoder's sizes
    /// (width = the encoder's out_chans, heads, MLP width, depth) so that SAM's prompt encoder and
    /// two-way transformer weights can initialise it, as PG-SAM's loader does.
    /// </summary>
    public static PgSamModelConfig FromSam(SamConfig sam, string[] categories, int clipDim, PgSamPriorConfig prior, int loraRank = ImageEncoderLora.DefaultRank)
    {
        var e = sam.ImageEncoder;
        var d = sam.MaskDecoder;
        return new PgSamModelConfig
        {
            ImageEncoder = e, PixelMean = sam.PixelMean, PixelStd = sam.PixelStd, LoraRank = loraRank, Categories = categories, Prior = prior,
            Head = new PgSamConfig
            {
                Dim = e.OutChans, NumHeads = d.TransformerNumHeads, MlpDim = d.TransformerMlpDim, Depth = d.TransformerDepth,
                NumClasses = categories.Length + 1, InputSize = e.ImgSize, PatchSize = e.PatchSize, ClipDim = clipDim,
                MaskInChans = sam.PromptEncoder.MaskInChans,
            },
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);

    public static PgSamModelConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<PgSamModelConfig>(json, source, "PG-SAM model config");

    public void Validate(string source = "config")
    {
        var Check = ConfigJson.Checker(source);
        new SamConfig { ImageEncoder = ImageEncoder, PixelMean = PixelMean, PixelStd = PixelStd,
                        PromptEncoder = new PromptEncoderConfig { EmbedDim = ImageEncoder.OutChans },
                        MaskDecoder = new MaskDecoderConfig { TransformerNumHeads = 1 } }.Validate(source); // the encoder part only
        Head.Validate(source);
        Check(LoraRank >= 0, "lora_rank must be >= 0");
        Check(Categories.Length >= 1, "a PG-SAM model needs at least one category");
        Check(Categories.Distinct(StringComparer.Ordinal).Count() == Categories.Length, "category names must be unique");
        Check(Head.NumClasses == Categories.Length + 1, $"head.num_classes ({Head.NumClasses}) must be 1 (background) + {Categories.Length} categories");
        Check(Head.Dim == ImageEncoder.OutChans, $"head.dim ({Head.Dim}) must equal image_encoder.out_chans ({ImageEncoder.OutChans})");
        Check(Head.InputSize == ImageEncoder.ImgSize && Head.PatchSize == ImageEncoder.PatchSize,
            "head.input_size and head.patch_size must equal the image encoder's img_size and patch_size");
        Check(Prior.ImageFeatures is PgSamPriorConfig.NeckProjection or PgSamPriorConfig.ClipSource,
            $"prior.image_features '{Prior.ImageFeatures}' must be {PgSamPriorConfig.NeckProjection} or {PgSamPriorConfig.ClipSource}");
        if (Prior.UsesClip)
        {
            Check(Prior.Clip is not null, "prior.clip (CLIP's architecture) is required when the text encoder or the image features are CLIP's");
            Prior.Clip!.Validate(source);
            Check(Head.ClipDim == Prior.Clip.EmbedDim, $"head.clip_dim ({Head.ClipDim}) must equal CLIP's embed_dim ({Prior.Clip.EmbedDim})");
            Check(Prior.ClipLoraRank >= 0, "prior.clip_lora_rank must be >= 0");
            Check(!Prior.ClipText || Prior.Clip.VocabSize == SegSam.Text.ClipTokenizer.ClipVocabularySize,
                $"CLIP's text tower must have CLIP's vocabulary ({SegSam.Text.ClipTokenizer.ClipVocabularySize} ids) for its BPE tokenizer; prior.clip.vocab_size is {Prior.Clip.VocabSize}");
            Check(!Prior.ClipImage || ImageEncoder.InChans is 1 or 3, $"CLIP's image tower takes RGB (or grey, repeated); the encoder has {ImageEncoder.InChans} input channels");
        }
        Check(Prior.Descriptions is PgSamPriorConfig.TemplateDescriptions or PgSamPriorConfig.PerImageDescriptions,
            "prior.descriptions must be template or per_image");
    }
}
