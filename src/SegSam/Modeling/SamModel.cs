using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Segment Anything: image encoder, prompt encoder and mask decoder, with the pixel
/// normalisation and mask post-processing of the reference Sam module. Parameter names are the
/// reference state_dict keys, so released checkpoints load without a key table.
/// </summary>
public sealed class SamModel : nn.Module
{
    readonly ImageEncoderViT image_encoder;
    readonly PromptEncoder prompt_encoder;
    readonly MaskDecoder mask_decoder;
    readonly Tensor pixel_mean;
    readonly Tensor pixel_std;

    /// <summary>Logits above this value are foreground.</summary>
    public const double MaskThreshold = 0.0;

    public SamConfig Config { get; }
    public ImageEncoderViT ImageEncoder => image_encoder;
    public PromptEncoder PromptEncoder => prompt_encoder;
    public MaskDecoder MaskDecoder => mask_decoder;
    public int ImgSize => Config.ImageEncoder.ImgSize;
    public Device Device => pixel_mean.device;

    static SamModel() => TorchRuntime.EnsureInitialized();

    public SamModel(SamConfig config) : base(nameof(SamModel))
    {
        config.Validate();
        Config = config;
        var enc = config.ImageEncoder;
        long promptDim = config.PromptEncoder.EmbedDim;
        image_encoder = new ImageEncoderViT(enc);
        prompt_encoder = new PromptEncoder(promptDim, (enc.GridSize, enc.GridSize), (enc.ImgSize, enc.ImgSize),
            config.PromptEncoder.MaskInChans);
        var dec = config.MaskDecoder;
        mask_decoder = new MaskDecoder(promptDim,
            new TwoWayTransformer(dec.TransformerDepth, promptDim, dec.TransformerNumHeads, dec.TransformerMlpDim),
            dec.NumMultimaskOutputs, dec.IouHeadDepth, dec.IouHeadHiddenDim);
        pixel_mean = tensor(config.PixelMean.Select(v => (float)v).ToArray()).view(-1, 1, 1);
        pixel_std = tensor(config.PixelStd.Select(v => (float)v).ToArray()).view(-1, 1, 1);
        // Not part of the state_dict, as in the reference (persistent=False).
        register_buffer(nameof(pixel_mean), pixel_mean, persistent: false);
        register_buffer(nameof(pixel_std), pixel_std, persistent: false);
        RegisterComponents();
        eval();
    }

    /// <summary>
    /// Gray slices (height × width values each, on the prepared 0–255 scale) as the encoder's input
    /// batch: every slice repeated over the input channels, then normalised and padded (<see cref="Preprocess"/>).
    /// </summary>
    public Tensor PreprocessSlices(IEnumerable<float[]> slices, int height, int width)
    {
        using var scope = NewDisposeScope();
        int channels = Config.ImageEncoder.InChans;
        var pixels = stack(slices.Select(s => tensor(s, [1, height, width], device: Device).expand(channels, -1, -1)), 0);
        return Preprocess(pixels).MoveToOuterDisposeScope();
    }

    /// <summary>Normalises B×C×h×w pixels and zero-pads them to the encoder's square input.</summary>
    public Tensor Preprocess(Tensor x)
    {
        using var scope = NewDisposeScope();
        var normalised = (x - pixel_mean) / pixel_std;
        long padH = ImgSize - x.shape[^2], padW = ImgSize - x.shape[^1];
        if (padH < 0 || padW < 0)
            throw new ArgumentException($"image {x.shape[^2]}×{x.shape[^1]} is larger than the encoder input {ImgSize}×{ImgSize}");
        return nn.functional.pad(normalised, [0, padW, 0, padH]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Low-res logits B×M×h×w → the encoder frame (bilinear), crop the padding to
    /// <paramref name="inputSize"/>, then bilinear to <paramref name="originalSize"/>.
    /// </summary>
    public Tensor PostprocessMasks(Tensor masks, (long H, long W) inputSize, (long H, long W) originalSize)
    {
        using var scope = NewDisposeScope();
        var upscaled = nn.functional.interpolate(masks, size: [ImgSize, ImgSize], mode: InterpolationMode.Bilinear, align_corners: false);
        var cropped = upscaled[.., .., ..(int)inputSize.H, ..(int)inputSize.W];
        var resized = nn.functional.interpolate(cropped, size: [originalSize.H, originalSize.W], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.MoveToOuterDisposeScope();
    }
}
