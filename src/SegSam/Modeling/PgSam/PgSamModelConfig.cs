using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling.PgSam;

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
        Check(LoraRank >= 0 && LoraRank <= ImageEncoder.EmbedDim, $"lora_rank ({LoraRank}) must lie in [0, embed_dim = {ImageEncoder.EmbedDim}]");
        Check(Categories.Length >= 1, "a PG-SAM model needs at least one category");
        Check(Categories.All(c => !string.IsNullOrWhiteSpace(c)), "category names must be non-empty strings");
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
        if (!Prior.ClipText)
        {
            try { TextEncoderSpec.Parse(Prior.TextEncoder); }
            catch (ArgumentException e) { Check(false, $"prior.text_encoder: {e.Message}"); }
        }
    }
}
