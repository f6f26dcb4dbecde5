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
/// The prior's inputs are our offline fallback for CLIP ViT-B/32, whose weights are not
/// available here (see <see cref="PgSamPriorConfig"/>): the image feature is
/// <c>clip_image_proj</c>(mean over the grid of the neck output), a learned linear map to the
/// head's clip_dim; the text feature of each slice is given by the caller (the offline text
/// encoder's vector of the slice's description, <see cref="PgSamPrior"/>).
/// </para>
/// State-dict names: <c>image_encoder.*</c> (SAM's names; LoRA factors add
/// <c>blocks.N.attn.qkv.linear_{a,b}_{q,v}.weight</c>), <c>clip_image_proj.*</c>, <c>head.*</c>.
/// </summary>
public sealed class PgSamModel : nn.Module
{
    readonly ImageEncoderViT image_encoder;
    readonly Linear clip_image_proj;
    readonly PgSamHead head;
    readonly Tensor pixel_mean;
    readonly Tensor pixel_std;

    public PgSamModelConfig Config { get; }
    public ImageEncoderViT ImageEncoder => image_encoder;
    public PgSamHead Head => head;
    public Device Device => pixel_mean.device;
    public int ImgSize => Config.ImageEncoder.ImgSize;
    public int NumClasses => Config.Head.NumClasses;

    public PgSamModel(PgSamModelConfig config) : base(nameof(PgSamModel))
    {
        config.Validate();
        Config = config;
        image_encoder = new ImageEncoderViT(config.ImageEncoder);
        clip_image_proj = nn.Linear(config.ImageEncoder.OutChans, config.Head.ClipDim);
        head = new PgSamHead(config.Head);
        int c = config.ImageEncoder.InChans;
        pixel_mean = tensor(config.PixelMean.Select(v => (float)v).ToArray(), [c, 1, 1]);
        pixel_std = tensor(config.PixelStd.Select(v => (float)v).ToArray(), [c, 1, 1]);
        register_buffer("pixel_mean", pixel_mean, persistent: false);
        register_buffer("pixel_std", pixel_std, persistent: false);
        RegisterComponents();
        if (config.LoraRank > 0) ImageEncoderLora.Apply(image_encoder, config.LoraRank);
        else foreach (var p in image_encoder.parameters()) p.requires_grad = false;
        eval();
    }

    /// <summary>
    /// The parameters PG-SAM trains: the encoder's LoRA factors, the image-feature stand-in and
    /// the whole head. Everything else (the SAM encoder's own weights) stays frozen.
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Param)> TrainableParameters()
    {
        var lora = ImageEncoderLora.Parameters(image_encoder).ToHashSet();
        return named_parameters()
            .Where(p => !p.name.StartsWith("image_encoder.", StringComparison.Ordinal) || lora.Contains(p.parameter))
            .Select(p => (p.name, p.parameter)).ToList();
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
    /// images: B×C×S×S normalised (<see cref="Preprocess"/>); textFeatures: B×clip_dim. Returns the
    /// head's output: class logits after the mask optimizer (B×(N+1)×4g×4g, background first),
    /// before it, IoU predictions, and the prior's similarity and guide.
    /// </summary>
    public PgSamOutput forward(Tensor images, Tensor textFeatures)
    {
        if (textFeatures.dim() != 2 || textFeatures.shape[0] != images.shape[0] || textFeatures.shape[1] != Config.Head.ClipDim)
            throw new ArgumentException($"text features must be {images.shape[0]}×{Config.Head.ClipDim}, got {Shapes.Format(textFeatures.shape)}");
        using var scope = NewDisposeScope();
        var neck = image_encoder.forward(images);
        var imageFeatures = clip_image_proj.forward(neck.mean([2, 3]));
        using var text = textFeatures.to(ScalarType.Float32);
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
    public Tensor PredictLabels(Tensor pixels, Tensor textFeatures)
    {
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var output = forward(Preprocess(pixels), textFeatures);
            return Upscale(output.Masks).argmax(1).MoveToOuterDisposeScope();
        }
        finally
        {
            if (wasTraining) train();
        }
    }
}
