using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP ViT hyper-parameters, named after the arguments of the reference <c>CLIP</c> constructor
/// (openai/CLIP clip/model.py) plus <see cref="VisionHeads"/>, which the reference derives as
/// vision_width / 64. The defaults are ViT-B/32 (<see cref="ViTB32"/>). JSON keys are snake_case
/// (<see cref="ConfigJson"/>), e.g. <c>transformer_width</c>.
/// </summary>
public sealed record ClipConfig : IValidatedConfig
{
    /// <summary>Width of the joint image/text embedding (the projections' output).</summary>
    public int EmbedDim { get; init; } = 512;
    /// <summary>Side of the square input image.</summary>
    public int ImageResolution { get; init; } = 224;
    public int VisionLayers { get; init; } = 12;
    public int VisionWidth { get; init; } = 768;
    public int VisionPatchSize { get; init; } = 32;
    public int VisionHeads { get; init; } = 12;
    /// <summary>Tokens per text (77: CLIP's tokenizer pads or truncates to it).</summary>
    public int ContextLength { get; init; } = 77;
    public int VocabSize { get; init; } = 49408;
    public int TransformerWidth { get; init; } = 512;
    public int TransformerHeads { get; init; } = 8;
    public int TransformerLayers { get; init; } = 12;

    /// <summary>The width of one attention head that the reference's build_model assumes (heads = width / 64).</summary>
    public const int ReferenceHeadWidth = 64;

    /// <summary>Side of the patch grid (7 for ViT-B/32 at 224).</summary>
    [JsonIgnore] public int VisionGrid => ImageResolution / VisionPatchSize;

    /// <summary>Tokens of the image transformer: one per patch plus the class token (50 for ViT-B/32).</summary>
    [JsonIgnore] public int VisionTokens => VisionGrid * VisionGrid + 1;

    /// <summary>OpenAI's ViT-B/32 (what PG-SAM loads with <c>clip.load("ViT-B/32")</c>).</summary>
    public static ClipConfig ViTB32 { get; } = new();

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);

    /// <summary>Parses and validates a config; <paramref name="source"/> names the file in errors.</summary>
    public static ClipConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<ClipConfig>(json, source, "CLIP config");

    public static ClipConfig Load(string path) => ConfigJson.Load<ClipConfig>(path, "CLIP config");

    /// <summary>Rejects configs that the towers could not be built from, naming the offending field.</summary>
    public void Validate(string source = "config")
    {
        var Check = ConfigJson.Checker(source);
        Check(EmbedDim > 0, $"embed_dim must be positive (got {EmbedDim})");
        Check(VisionPatchSize > 0, $"vision_patch_size must be positive (got {VisionPatchSize})");
        Check(ImageResolution > 0 && ImageResolution % VisionPatchSize == 0,
            $"image_resolution ({ImageResolution}) must be a positive multiple of vision_patch_size ({VisionPatchSize})");
        Check(VisionLayers > 0, $"vision_layers must be positive (got {VisionLayers})");
        Check(VisionWidth > 0 && VisionHeads > 0 && VisionWidth % VisionHeads == 0,
            $"vision_width ({VisionWidth}) must be a positive multiple of vision_heads ({VisionHeads})");
        Check(ContextLength > 0, $"context_length must be positive (got {ContextLength})");
        Check(VocabSize > 0, $"vocab_size must be positive (got {VocabSize})");
        Check(TransformerLayers > 0, $"transformer_layers must be positive (got {TransformerLayers})");
        Check(TransformerWidth > 0 && TransformerHeads > 0 && TransformerWidth % TransformerHeads == 0,
            $"transformer_width ({TransformerWidth}) must be a positive multiple of transformer_heads ({TransformerHeads})");
    }

    /// <summary>
    /// Parameters the model built from this config holds (the reference's count: 151,277,313 for
    /// ViT-B/32), computed from the shapes alone.
    /// </summary>
    [JsonIgnore]
    public long ParameterCount
    {
        get
        {
            static long Blocks(long width, long layers) =>
                // ln_1 + ln_2 (2·2W), in_proj (3W·W + 3W), out_proj (W·W + W), c_fc (W·4W + 4W), c_proj (4W·W + W)
                layers * (4 * width + 3 * width * width + 3 * width + width * width + width
                          + 4 * width * width + 4 * width + 4 * width * width + width);
            long vw = VisionWidth, tw = TransformerWidth;
            long vision = vw * 3 * VisionPatchSize * VisionPatchSize // conv1, no bias
                          + vw                                      // class_embedding
                          + VisionTokens * vw                       // positional_embedding
                          + 2 * vw                                  // ln_pre
                          + Blocks(vw, VisionLayers)
                          + 2 * vw                                  // ln_post
                          + vw * EmbedDim;                          // proj
            long text = (long)VocabSize * tw                        // token_embedding
                        + ContextLength * tw                        // positional_embedding
                        + Blocks(tw, TransformerLayers)
                        + 2 * tw                                    // ln_final
                        + tw * EmbedDim;                            // text_projection
            return vision + text + 1;                               // + logit_scale
        }
    }
}
