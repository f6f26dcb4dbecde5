using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>
/// A SEG-SAM model: a SAM configuration plus the semantic parts, every one a switch so that
/// the paper's ablations (Table 4) are configurations: baseline (all off), baseline + cls token,
/// + SAWD with or without CO-tokens, the SAWD_sem variant, + T2VSE. Saved with each checkpoint.
/// </summary>
public sealed record SegSamConfig : IValidatedConfig
{
    public SamConfig Sam { get; init; } = new();
    /// <summary>Category names; the class id of a category is its index.</summary>
    public string[] Categories { get; init; } = [];
    /// <summary>Baseline_sem: a class token added to SAM's own decoder.</summary>
    public bool ClsToken { get; init; }
    public SemanticDecoderConfig SemanticDecoder { get; init; } = new();
    /// <summary>
    /// Adds a learned ±s logit prior inside/outside a box prompt to the decoders' mask logits, so
    /// that the decoders learn corrections to "the box" rather than the object from two corner
    /// tokens (our addition for small models trained from scratch; off = SAM's decoder as is).
    /// </summary>
    public bool BoxPrior { get; init; }
    /// <summary>
    /// A box prompt is answered like a lone click: SAM's three candidate masks are trained on boxes
    /// too (the least-loss one learns, as SAM does for clicks) beside the single answer, and the
    /// mask of highest predicted IoU among all four is returned. For boxes that do not say which
    /// object is meant (a tissue class's box is the whole brain's); off = SAM's single box answer.
    /// </summary>
    public bool BoxCandidates { get; init; }
    /// <summary>
    /// Box candidates get three mask tokens, hypernetworks and IoU outputs of their own instead of
    /// SAM's click candidates, so that training one kind of prompt does not move the other's answers
    /// (our addition; requires <see cref="BoxCandidates"/>; off = boxes share the click candidates).
    /// </summary>
    public bool BoxCandidateTokens { get; init; }
    /// <summary>Width of the pixel-level feature stem feeding the mask decoders (0: none, SAM's decoders as is).</summary>
    public int HighResChannels { get; init; }
    public TextEnhancerConfig TextEnhancer { get; init; } = new();
    /// <summary>
    /// Prompts are answered with test-time mirroring unless a caller says otherwise
    /// (<see cref="Inference.SegSamPredictor.TestTimeMirroring"/>). Training with left–right flips sets it,
    /// as nnU-Net keeps the mirroring axes of its training augmentation and mirrors at inference by default.
    /// </summary>
    public bool TestTimeMirroring { get; init; }

    [JsonIgnore] public int NumClasses => Categories.Length;

    /// <summary>The model in words, e.g. "SEG-SAM: SAWD (SO + CO tokens) + T2VSE, box prior, pixel stem".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (SemanticDecoder.Enabled)
            parts.Add(SemanticDecoder.Unprompted switch
            {
                UnpromptedMode.None => "SAWD (SO token)",
                UnpromptedMode.Classify => "SAWD (SO + CO tokens)",
                _ => "SAWD_sem (full-image semantic)",
            });
        if (TextEnhancer.Enabled) parts.Add($"T2VSE ({TextEnhancer.TextEncoder})");
        string core = ClsToken ? "SAM + cls token" : parts.Count > 0 ? "SEG-SAM: " + string.Join(" + ", parts) : "SAM";
        var extras = new List<string>();
        if (BoxPrior) extras.Add("box prior");
        if (HighResChannels > 0) extras.Add($"{HighResChannels}-channel pixel stem");
        if (BoxCandidates) extras.Add(BoxCandidateTokens ? "box candidates (own tokens)" : "box candidates");
        if (TestTimeMirroring) extras.Add("test-time mirroring");
        return extras.Count > 0 ? $"{core}, {string.Join(", ", extras)}" : core;
    }
    [JsonIgnore] public bool IsSemantic => ClsToken || SemanticDecoder.Enabled;

    /// <summary>
    /// The mask tokens that answer a prompt, in training and inference alike: SAM's three
    /// candidates for a lone click (ambiguous), all four for a lone box with
    /// <see cref="BoxCandidates"/>, else SAM's single answer.
    /// </summary>
    public MaskOutputs AnswerTokens(bool box, int clicks, bool maskInput) =>
        !box && clicks == 1 ? MaskOutputs.Multiple
        : box && clicks == 0 && !maskInput && BoxCandidates ? MaskOutputs.All
        : MaskOutputs.Single;

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);

    public static SegSamConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<SegSamConfig>(json, source, "SEG-SAM config");

    public void Validate(string source = "config")
    {
        Sam.Validate(source);
        var Check = ConfigJson.Checker(source);
        Check(!IsSemantic || NumClasses >= 1, "a semantic model (cls_token or semantic_decoder) needs at least one category");
        Check(Categories.All(c => !string.IsNullOrWhiteSpace(c)), "category names must be non-empty strings");
        Check(Categories.Distinct(StringComparer.Ordinal).Count() == Categories.Length, "category names must be unique");
        Check(!(ClsToken && SemanticDecoder.Enabled), "cls_token is the semantic baseline; use it without the semantic decoder");
        var d = SemanticDecoder;
        int dim = Sam.PromptEncoder.EmbedDim;
        Check(!d.Enabled || (d.TransformerDepth >= 1 && d.TransformerNumHeads > 0 && (dim / 2) % d.TransformerNumHeads == 0),
            $"semantic_decoder.transformer_num_heads ({d.TransformerNumHeads}) must divide embed_dim / 2 ({dim / 2})");
        var t = TextEnhancer;
        Check(!t.Enabled || (t.TextDim > 0 && t.NumHeads > 0 && (dim / 2) % t.NumHeads == 0),
            $"text_enhancer.num_heads ({t.NumHeads}) must divide embed_dim / 2 ({dim / 2})");
        Check(!t.Enabled || NumClasses >= 1, "text_enhancer needs the categories it describes");
        Check(HighResChannels >= 0, "high_res_channels must be >= 0");
        Check(!BoxCandidateTokens || BoxCandidates, "box_candidate_tokens needs box_candidates (they are the tokens that answer them)");
        Check(HighResChannels == 0 || Sam.ImageEncoder.PatchSize % 4 == 0, "high_res_channels needs a patch size divisible by 4 (the decoders work at 4× the token grid)");
        Check(HighResChannels <= SamConfig.MaxWidth, $"high_res_channels must be at most {SamConfig.MaxWidth}");
        Check(!d.Enabled || (d.TransformerMlpDim > 0 && d.TransformerDepth <= SamConfig.MaxDecoderDepth),
            $"semantic_decoder.transformer_mlp_dim must be positive and transformer_depth at most {SamConfig.MaxDecoderDepth}");
        Check(!t.Enabled || t.TextDim <= SamConfig.MaxWidth * 8, $"text_enhancer.text_dim must be at most {SamConfig.MaxWidth * 8}");
        double floor = ParameterFloor.SegSam(this);
        Check(floor <= ParameterFloor.MaxParameters,
            $"the model would have at least {floor:G3} parameters, more than the {ParameterFloor.MaxParameters:G3} this build accepts");
    }

    /// <summary>The paper's ablation rows by name (Table 4), on a given SAM config and categories.</summary>
    public static SegSamConfig Variant(string name, SamConfig sam, string[] categories, int textDim = 256) => name switch
    {
        "baseline" => Base(sam, categories) with { SemanticDecoder = new() { Enabled = false } },
        "baseline_cls" => Base(sam, categories) with { ClsToken = true, SemanticDecoder = new() { Enabled = false } },
        "sawd_pmt" => Base(sam, categories) with { SemanticDecoder = Sawd(sam, UnpromptedMode.None) },
        "sawd" => Base(sam, categories) with { SemanticDecoder = Sawd(sam, UnpromptedMode.Classify) },
        "sawd_sem" => Base(sam, categories) with { SemanticDecoder = Sawd(sam, UnpromptedMode.Segment) },
        "full" or "sawd_t2vse" => Base(sam, categories) with
        {
            SemanticDecoder = Sawd(sam, UnpromptedMode.Classify),
            TextEnhancer = new TextEnhancerConfig { Enabled = true, TextDim = textDim, NumHeads = sam.MaskDecoder.TransformerNumHeads },
        },
        _ => throw new ArgumentException($"unknown SEG-SAM variant '{name}'; known: {string.Join(", ", VariantNames)}"),
    };

    public static IReadOnlyList<string> VariantNames { get; } = ["baseline", "baseline_cls", "sawd_pmt", "sawd", "sawd_sem", "full"];

    static SegSamConfig Base(SamConfig sam, string[] categories) => new() { Sam = sam, Categories = categories };

    // The SAWD mirrors SAM's decoder width and depth.
    static SemanticDecoderConfig Sawd(SamConfig sam, UnpromptedMode mode) => new()
    {
        Enabled = true,
        Unprompted = mode,
        TransformerDepth = sam.MaskDecoder.TransformerDepth,
        TransformerMlpDim = sam.MaskDecoder.TransformerMlpDim,
        TransformerNumHeads = sam.MaskDecoder.TransformerNumHeads,
    };
}
