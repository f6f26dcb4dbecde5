using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>
/// The model-config JSON of SPEC §2: one schema for the CLI's --config, saved checkpoints and
/// the parity fixtures (snake_case keys).
/// </summary>
public sealed record SamConfig : IValidatedConfig
{
    public ImageEncoderConfig ImageEncoder { get; init; } = new();
    public PromptEncoderConfig PromptEncoder { get; init; } = new();
    public MaskDecoderConfig MaskDecoder { get; init; } = new();
    public double[] PixelMean { get; init; } = [123.675, 116.28, 103.53];
    public double[] PixelStd { get; init; } = [58.395, 57.12, 57.375];

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);

    /// <summary>Parses and validates a config; <paramref name="source"/> names the file in errors.</summary>
    public static SamConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<SamConfig>(json, source, "model config");

    public static SamConfig Load(string path) => ConfigJson.Load<SamConfig>(path, "model config");

    /// <summary>Rejects configs that the modules could not be built from, naming the offending field.</summary>
    public void Validate(string source = "config")
    {
        var e = ImageEncoder;
        var Check = ConfigJson.Checker(source);
        Check(e.ImgSize > 0 && e.PatchSize > 0 && e.ImgSize % e.PatchSize == 0,
            $"image_encoder.img_size ({e.ImgSize}) must be a positive multiple of patch_size ({e.PatchSize})");
        Check(e.InChans > 0, "image_encoder.in_chans must be positive");
        Check(e.EmbedDim > 0 && e.NumHeads > 0 && e.EmbedDim % e.NumHeads == 0,
            $"image_encoder.embed_dim ({e.EmbedDim}) must be divisible by num_heads ({e.NumHeads})");
        Check(e.Depth > 0, "image_encoder.depth must be positive");
        Check(e.MlpRatio > 0, "image_encoder.mlp_ratio must be positive");
        Check(e.WindowSize >= 0, "image_encoder.window_size must be >= 0");
        Check(e.GlobalAttnIndexes.All(i => i >= 0 && i < e.Depth),
            $"image_encoder.global_attn_indexes must lie in [0, {e.Depth})");
        Check(e.OutChans == PromptEncoder.EmbedDim,
            $"image_encoder.out_chans ({e.OutChans}) must equal prompt_encoder.embed_dim ({PromptEncoder.EmbedDim})");
        Check(PromptEncoder.EmbedDim % 2 == 0, "prompt_encoder.embed_dim must be even");
        Check(PromptEncoder.MaskInChans >= 4 && PromptEncoder.MaskInChans % 4 == 0,
            "prompt_encoder.mask_in_chans must be a positive multiple of 4");
        var d = MaskDecoder;
        Check(d.NumMultimaskOutputs >= 1, "mask_decoder.num_multimask_outputs must be >= 1");
        Check(d.TransformerDepth >= 1, "mask_decoder.transformer_depth must be >= 1");
        Check(d.TransformerNumHeads > 0 && (PromptEncoder.EmbedDim / 2) % d.TransformerNumHeads == 0,
            $"mask_decoder.transformer_num_heads ({d.TransformerNumHeads}) must divide embed_dim / 2 ({PromptEncoder.EmbedDim / 2})");
        Check(PromptEncoder.EmbedDim % 8 == 0, "prompt_encoder.embed_dim must be a multiple of 8 (mask upscaling)");
        Check(d.IouHeadDepth >= 1 && d.IouHeadHiddenDim > 0, "mask_decoder.iou_head_depth/hidden_dim must be positive");
        Check(PixelMean.Length == e.InChans && PixelStd.Length == e.InChans,
            $"pixel_mean and pixel_std need {e.InChans} values (one per input channel)");
        Check(PixelStd.All(s => s > 0), "pixel_std values must be positive");
        Check(PixelMean.All(double.IsFinite) && PixelStd.All(double.IsFinite), "pixel_mean and pixel_std must be finite numbers");
        CheckSizes(source);
    }

    /// <summary>
    /// Upper bounds, far above any released SAM (ViT-H: 1024 px in 16-px patches, a 64² grid, width
    /// 1280, depth 32), so that a corrupt or hostile config is an error instead of an out-of-memory
    /// abort or an arithmetic overflow inside libtorch; <see cref="ParameterFloor"/> bounds the whole.
    /// </summary>
    void CheckSizes(string source)
    {
        var Check = ConfigJson.Checker(source);
        var e = ImageEncoder;
        Check(e.GridSize <= MaxGrid, $"image_encoder.img_size / patch_size ({e.ImgSize} / {e.PatchSize}) must be at most {MaxGrid} tokens a side");
        Check(e.InChans <= MaxInChans, $"image_encoder.in_chans ({e.InChans}) must be at most {MaxInChans}");
        Check(e.EmbedDim <= MaxWidth && e.OutChans <= MaxWidth, $"image_encoder.embed_dim and out_chans must be at most {MaxWidth}");
        Check(double.IsFinite(e.MlpRatio) && e.MlpRatio <= 64, $"image_encoder.mlp_ratio ({e.MlpRatio}) must be at most 64");
        // A window wider than the grid is legal (the grid is padded up to it), so the bound is the grid's, not this grid.
        Check(e.WindowSize <= MaxGrid, $"image_encoder.window_size ({e.WindowSize}) must be at most {MaxGrid} tokens (SAM: 14)");
        Check(double.IsFinite(e.LayerNormEps) && e.LayerNormEps > 0 && e.LayerNormEps < 1, $"image_encoder.layer_norm_eps ({e.LayerNormEps}) must lie in (0, 1)");
        Check(e.Depth <= MaxDepth, $"image_encoder.depth ({e.Depth}) must be at most {MaxDepth}");
        Check(PromptEncoder.MaskInChans <= MaxWidth, $"prompt_encoder.mask_in_chans must be at most {MaxWidth}");
        var d = MaskDecoder;
        Check(d.NumMultimaskOutputs <= 64, $"mask_decoder.num_multimask_outputs ({d.NumMultimaskOutputs}) must be at most 64");
        Check(d.TransformerMlpDim > 0, "mask_decoder.transformer_mlp_dim must be positive");
        Check(d.TransformerDepth <= MaxDecoderDepth && d.IouHeadDepth <= MaxDecoderDepth,
            $"mask_decoder.transformer_depth and iou_head_depth must be at most {MaxDecoderDepth} (SAM: 2 and 3)");
        double floor = ParameterFloor.Sam(this);
        Check(floor <= ParameterFloor.MaxParameters,
            $"the model would have at least {floor:G3} parameters, more than the {ParameterFloor.MaxParameters:G3} this build accepts");
    }

    /// <summary>Largest token grid side (SAM: 64).</summary>
    public const int MaxGrid = 128;
    /// <summary>Largest width of any layer (SAM ViT-H: 1280).</summary>
    public const int MaxWidth = 8192;
    /// <summary>Most encoder blocks (SAM ViT-H: 32).</summary>
    public const int MaxDepth = 256;
    /// <summary>Most layers of a decoder's transformer or MLP head (SAM: 2 and 3).</summary>
    public const int MaxDecoderDepth = 64;
    /// <summary>Most input channels (SAM: 3; ours: 1).</summary>
    public const int MaxInChans = 16;

    /// <summary>Names accepted by <see cref="Preset"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } =
        ["vit_b", "vit_l", "vit_h", "vit_b_256", "vit_b_224", "vit_t_256", "vit_t_128"];

    /// <summary>
    /// Released SAM sizes (build_sam.py in the reference), their 256/224-input variants used by
    /// SAM-Med2D / SEG-SAM and PG-SAM, and small ViT-Tiny encoders that CPU training can afford.
    /// </summary>
    public static SamConfig Preset(string name) => name switch
    {
        "vit_b" => Released(768, 12, 12, [2, 5, 8, 11]),
        "vit_l" => Released(1024, 24, 16, [5, 11, 17, 23]),
        "vit_h" => Released(1280, 32, 16, [7, 15, 23, 31]),
        "vit_b_256" => WithImgSize(Released(768, 12, 12, [2, 5, 8, 11]), 256),
        "vit_b_224" => WithImgSize(Released(768, 12, 12, [2, 5, 8, 11]), 224),
        "vit_t_256" => WithImgSize(Released(192, 12, 3, [2, 5, 8, 11]), 256),
        "vit_t_128" => new SamConfig
        {
            // A gray-scale model small enough to train in minutes on 2 CPU cores: 8×8 patches keep
            // a 16×16 grid; pixels 0–255 are centred and scaled like SAM's RGB normalisation.
            ImageEncoder = new ImageEncoderConfig
            {
                ImgSize = 128, PatchSize = 8, InChans = 1, EmbedDim = 192, Depth = 6, NumHeads = 3,
                OutChans = 128, WindowSize = 8, GlobalAttnIndexes = [2, 5],
            },
            PixelMean = [127.5],
            PixelStd = [64],
            PromptEncoder = new PromptEncoderConfig { EmbedDim = 128, MaskInChans = 16 },
            MaskDecoder = new MaskDecoderConfig { TransformerMlpDim = 512, TransformerNumHeads = 4, IouHeadHiddenDim = 128 },
        },
        _ => throw new ArgumentException(
            $"unknown model type '{name}'; known: {string.Join(", ", PresetNames)}", nameof(name)),
    };

    static SamConfig Released(int dim, int depth, int heads, int[] globalIndexes) => new()
    {
        ImageEncoder = new ImageEncoderConfig
        {
            EmbedDim = dim, Depth = depth, NumHeads = heads, GlobalAttnIndexes = globalIndexes,
        },
    };

    static SamConfig WithImgSize(SamConfig c, int imgSize) =>
        c with { ImageEncoder = c.ImageEncoder with { ImgSize = imgSize } };
}
