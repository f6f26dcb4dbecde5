using SegSam.Modeling.Clip;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM, prompt-free (SPEC §4): SAM's ViT image encoder, frozen but for LoRA of rank
/// <see cref="PgSamModelConfig.LoraRank"/> on q and v of every block, then the PG-SAM head
/// (prior aligner, fusion, PG-SAM mask decoder with the mask optimizer) giving background + N
/// class logits per pixel.
/// <para>
/// The prior's inputs (<see cref="PgSamPriorConfig"/>): PG-SAM's CLIP — the image tower on the
/// slice (frozen) and the text tower with LoRA on q and v on the slice's description as token
/// ids — or our offline fallback: the image feature <c>clip_image_proj</c>(mean over the grid of
/// the neck output), a learned linear map to the head's clip_dim, and a fixed text vector per
/// slice from an offline encoder. <c>SegSam.Text.PgSamPrior</c> builds the text input either way.
/// </para>
/// State-dict names: <c>image_encoder.*</c> (SAM's names; LoRA factors add
/// <c>blocks.N.attn.qkv.linear_{a,b}_{q,v}.weight</c>), <c>clip.*</c> (CLIP's names, see
/// <see cref="ClipModel"/>; LoRA adds <c>transformer.resblocks.N.attn.in_proj.linear_{a,b}_{q,v}.weight</c>)
/// or <c>clip_image_proj.*</c>, and <c>head.*</c>.
/// </summary>
public sealed class PgSamModel : nn.Module
{
    readonly ImageEncoderViT image_encoder;
    readonly Linear? clip_image_proj;
    readonly ClipModel? clip;
    readonly PgSamHead head;
    readonly Tensor pixel_mean;
    readonly Tensor pixel_std;

    public PgSamModelConfig Config { get; }
    public ImageEncoderViT ImageEncoder => image_encoder;
    public PgSamHead Head => head;
    /// <summary>CLIP (text LoRA applied), when the prior uses it; load its public weights with <c>ClipWeights.LoadWeights</c>.</summary>
    public ClipModel? Clip => clip;
    public Device Device => pixel_mean.device;
    public int ImgSize => Config.ImageEncoder.ImgSize;
    public int NumClasses => Config.Head.NumClasses;

    public PgSamModel(PgSamModelConfig config) : base(nameof(PgSamModel))
    {
        config.Validate();
        Config = config;
        image_encoder = new ImageEncoderViT(config.ImageEncoder);
        if (config.Prior.UsesClip) clip = new ClipModel(config.Prior.Clip!);
        if (!config.Prior.ClipImage) clip_image_proj = nn.Linear(config.ImageEncoder.OutChans, config.Head.ClipDim);
        head = new PgSamHead(config.Head);
        int c = config.ImageEncoder.InChans;
        pixel_mean = tensor(config.PixelMean.Select(v => (float)v).ToArray(), [c, 1, 1]);
        pixel_std = tensor(config.PixelStd.Select(v => (float)v).ToArray(), [c, 1, 1]);
        register_buffer("pixel_mean", pixel_mean, persistent: false);
        register_buffer("pixel_std", pixel_std, persistent: false);
        RegisterComponents();
        if (config.LoraRank > 0) ImageEncoderLora.Apply(image_encoder, config.LoraRank);
        else foreach (var p in image_encoder.parameters()) p.requires_grad = false;
        if (clip is not null)
        {
            if (config.Prior.ClipText && config.Prior.ClipLoraRank > 0) ClipLora.Apply(clip, config.Prior.ClipLoraRank);
            else foreach (var p in clip.parameters()) p.requires_grad = false;
        }
        eval();
    }

    /// <summary>
    /// The parameters PG-SAM trains: the LoRA factors of the SAM encoder and of CLIP's text tower,
    /// the image-feature stand-in (without CLIP) and the whole head. Everything else (SAM's and
    /// CLIP's own weights) stays frozen.
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Param)> TrainableParameters()
    {
        var lora = ImageEncoderLora.Parameters(image_encoder).ToHashSet();
        if (clip is not null) lora.UnionWith(ClipLora.Parameters(clip.Transformer));
        return named_parameters()
            .Where(p => !(p.name.StartsWith("image_encoder.", StringComparison.Ordinal) || p.name.StartsWith("clip.", StringComparison.Ordinal))
                        || lora.Contains(p.parameter))
            .Select(p => (p.name, p.parameter)).ToList();
    }

    /// <summary>
    /// The prior's text features B×clip_dim from the text input <c>SegSam.Text.PgSamPrior</c> made:
    /// CLIP token ids B×context (encoded here, through the LoRA factors, so they train) or the
    /// offline encoder's vectors B×clip_dim (returned as float32).
    /// </summary>
    public Tensor TextFeatures(Tensor textInput, long batch)
    {
        if (Config.Prior.ClipText)
        {
            long context = Config.Prior.Clip!.ContextLength;
            if (textInput.dim() != 2 || textInput.shape[0] != batch || textInput.shape[1] != context || textInput.is_floating_point())
                throw new ArgumentException($"this PG-SAM model takes CLIP token ids {batch}×{context} as text input, got {Shapes.Format(textInput.shape)} {textInput.dtype}");
            return clip!.EncodeText(textInput);
        }
        if (textInput.dim() != 2 || textInput.shape[0] != batch || textInput.shape[1] != Config.Head.ClipDim)
            throw new ArgumentException($"text features must be {batch}×{Config.Head.ClipDim}, got {Shapes.Format(textInput.shape)}");
        return textInput.to(ScalarType.Float32);
    }

    /// <summary>The prior's image features B×clip_dim: CLIP's image tower on the slice, or the neck projection.</summary>
    Tensor ImageFeatures(Tensor images, Tensor neck)
    {
        if (clip_image_proj is not null) return clip_image_proj.forward(neck.mean([2, 3]));
        using var scope = NewDisposeScope();
        // CLIP sees the slice as SAM does before normalisation, in [0, 1], resized and normalised its own way.
        using var noGrad = no_grad(); // the image tower is frozen
        var unit = images.mul(pixel_std).Plus(pixel_mean).Over(255.0).Clamped(0, 1);
        if (unit.shape[1] == 1) unit = unit.expand(-1, 3, -1, -1); // a grey slice, as RGB
        return clip!.EncodeImage(ClipPreprocess.Apply(unit, Config.Prior.Clip!.ImageResolution)).MoveToOuterDisposeScope();
    }

    /// <summary>Pixels B×C×S×S in the prepared range (0–255) → the encoder's normalised input.</summary>
    public Tensor Preprocess(Tensor pixels)
    {
        long s = ImgSize;
        if (pixels.dim() != 4 || pixels.shape[1] != Config.ImageEncoder.InChans || pixels.shape[2] != s || pixels.shape[3] != s)
            throw new ArgumentException($"PG-SAM expects B×{Config.ImageEncoder.InChans}×{s}×{s} pixels, got {Shapes.Format(pixels.shape)}");
        using var scope = NewDisposeScope();
        return ((pixels - pixel_mean) / pixel_std).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// images: B×C×S×S normalised (<see cref="Preprocess"/>); textInput: what
    /// <see cref="TextFeatures"/> takes. Returns the head's output: class logits after the mask
    /// optimizer (B×(N+1)×4g×4g, background first), before it, IoU predictions, and the prior's
    /// similarity and guide.
    /// </summary>
    public PgSamOutput forward(Tensor images, Tensor textInput)
    {
        using var scope = NewDisposeScope();
        var text = TextFeatures(textInput, images.shape[0]);
        var neck = image_encoder.forward(images);
        var imageFeatures = ImageFeatures(images, neck);
        // The head's outputs belong to the caller: out of this scope before it closes.
        var output = head.forward(neck, imageFeatures, text);
        foreach (var t in new[] { output.Similarity, output.Guide, output.Fused, output.Masks, output.CoarseMasks, output.Iou })
            t?.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>Logits B×M×h×w → the input size S×S, bilinear (SAM's postprocess_masks without padding).</summary>
    public Tensor Upscale(Tensor logits) =>
        logits.shape[^1] == ImgSize && logits.shape[^2] == ImgSize
            ? logits.alias()
            : nn.functional.interpolate(logits, size: [ImgSize, ImgSize], mode: InterpolationMode.Bilinear, align_corners: false);

    /// <summary>Prompt-free prediction: per-pixel class (0 = background) at the input size, B×S×S int64.</summary>
    public Tensor PredictLabels(Tensor pixels, Tensor textInput)
    {
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var output = forward(Preprocess(pixels), textInput);
            return Upscale(output.Masks).argmax(1).MoveToOuterDisposeScope();
        }
        finally
        {
            if (wasTraining) train();
        }
    }
}
