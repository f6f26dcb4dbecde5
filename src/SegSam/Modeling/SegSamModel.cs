using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SEG-SAM (Eq. 2–4): SAM's encoders and its semantic-agnostic decoder (SAGD) for the binary
/// mask, plus, as configured, a class token in SAGD (the semantic baseline), the semantic-aware
/// decoder (SAWD) on the plain prompt tokens t_p, and T2VSE whose text token is appended to the
/// prompts that SAGD sees. SAM's weights live under "sam." in the state_dict.
/// </summary>
public sealed class SegSamModel : nn.Module
{
    readonly SamModel sam;
    readonly Embedding? cls_token;
    readonly Linear? cls_head;
    readonly SemanticDecoder? semantic_decoder;
    readonly TextVisionEnhancer? text_enhancer;
    readonly Parameter? box_prior_scale;
    readonly HighResStem? high_res_stem;
    readonly BoxCandidateTokens? box_candidate_tokens;

    public SegSamConfig Config { get; }

    /// <summary>Number of weights (every parameter's elements).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
    public SamModel Sam => sam;
    public SemanticDecoder? SemanticDecoder => semantic_decoder;
    public TextVisionEnhancer? TextEnhancer => text_enhancer;
    /// <summary>The tokens of box candidates when they have their own (<see cref="SegSamConfig.BoxCandidateTokens"/>), else null.</summary>
    public BoxCandidateTokens? BoxCandidateTokens => box_candidate_tokens;

    /// <summary>Prefix of SAM's parameters in this model's state_dict.</summary>
    public const string SamPrefix = "sam.";
    /// <summary>Prefix of the box candidates' own tokens in this model's state_dict.</summary>
    public const string BoxCandidateTokensPrefix = "box_candidate_tokens.";

    public SegSamModel(SegSamConfig config) : base(nameof(SegSamModel))
    {
        config.Validate();
        Config = config;
        sam = new SamModel(config.Sam);
        long dim = config.Sam.PromptEncoder.EmbedDim;
        if (config.ClsToken)
        {
            cls_token = nn.Embedding(1, dim);
            cls_head = nn.Linear(dim, config.NumClasses);
        }
        if (config.SemanticDecoder.Enabled)
            semantic_decoder = new SemanticDecoder(dim, config.NumClasses, config.SemanticDecoder);
        if (config.TextEnhancer.Enabled)
            text_enhancer = new TextVisionEnhancer(config.NumClasses, config.TextEnhancer.TextDim, dim, config.TextEnhancer.NumHeads);
        if (config.BoxPrior)
            box_prior_scale = new Parameter(SafeMath.Full([1], 2.0, ScalarType.Float32));
        if (config.HighResChannels > 0)
            high_res_stem = new HighResStem(config.Sam.ImageEncoder.InChans, config.HighResChannels, dim / 8, config.Sam.ImageEncoder.PatchSize / 4);
        if (config.BoxCandidateTokens)
        {
            var decoder = config.Sam.MaskDecoder;
            box_candidate_tokens = new BoxCandidateTokens(dim, decoder.NumMultimaskOutputs, decoder.IouHeadDepth, decoder.IouHeadHiddenDim);
        }
        RegisterComponents();
        eval();
    }

    public bool HasHighResStem => high_res_stem is not null;

    /// <summary>The pixel-level features alone (a frozen encoder's embeddings come from a cache).</summary>
    public Tensor EncodeHighRes(Tensor images) =>
        (high_res_stem ?? throw new InvalidOperationException("this model has no high-resolution stem")).forward(images);

    /// <summary>
    /// The image-dependent inputs of <see cref="Decode(Tensor, Tensor?, Tensor?, Tensor?, Tensor?, MaskOutputs, Tensor?)"/> for normalised, padded images
    /// (B×C×S×S): the encoder's embedding and, when configured, the pixel-level features.
    /// </summary>
    public (Tensor Embedding, Tensor? HighRes) EncodeImages(Tensor images)
    {
        using var scope = NewDisposeScope();
        var embedding = sam.ImageEncoder.forward(images);
        var highRes = high_res_stem?.forward(images);
        return (embedding.MoveToOuterDisposeScope(), highRes?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Decodes prompts on image embeddings (1×D×h×w shared, or one per prompt). Coordinates are in
    /// the encoder's input frame: coords B×N×2 with labels B×N, boxes B×4, mask input B×1×4h×4w.
    /// <paramref name="highRes"/> (from <see cref="EncodeImages"/>) is required when the model has a stem.
    /// </summary>
    public SegSamOutput Decode(Tensor imageEmbeddings, Tensor? coords, Tensor? labels, Tensor? boxes, Tensor? maskInput, bool multimaskOutput,
                               Tensor? highRes = null) =>
        Decode(imageEmbeddings, coords, labels, boxes, maskInput, multimaskOutput ? MaskOutputs.Multiple : MaskOutputs.Single, highRes);

    /// <summary>The mask tokens <paramref name="outputs"/> selects, in the decoder's token order (0 = the single answer).</summary>
    internal static Range TokenRange(MaskOutputs outputs) => outputs switch { MaskOutputs.Multiple => 1.., MaskOutputs.All => 0.., _ => 0..1 };

    /// <summary>As the other overload, with the mask tokens to return chosen by <paramref name="outputs"/> (B×M masks and IoUs).</summary>
    public SegSamOutput Decode(Tensor imageEmbeddings, Tensor? coords, Tensor? labels, Tensor? boxes, Tensor? maskInput, MaskOutputs outputs,
                               Tensor? highRes = null)
    {
        if ((high_res_stem is null) != (highRes is null))
            throw new ArgumentException(high_res_stem is null ? "this model has no high-resolution stem" : "this model needs its high-resolution features (EncodeImages)");
        using var scope = NewDisposeScope();
        var (sparse, dense) = sam.PromptEncoder.forward(coords, labels, boxes, maskInput);
        var pe = sam.PromptEncoder.GetDensePe();

        var sagdPrompts = sparse;
        if (text_enhancer is not null) sagdPrompts = cat([sagdPrompts, text_enhancer.forward(sparse, imageEmbeddings, pe)], 1);
        long clsIndex = 1 + sam.MaskDecoder.NumMaskTokens + sagdPrompts.shape[1];
        if (cls_token is not null)
            sagdPrompts = cat([sagdPrompts, cls_token.weight!.unsqueeze(0).expand(sparse.shape[0], -1, -1)], 1);
        // Box candidates with tokens of their own stand in for the click candidates only when they answer.
        var candidates = outputs == MaskOutputs.All ? box_candidate_tokens : null;
        var (masks, iou, tokens) = sam.MaskDecoder.PredictMasksAndTokens(imageEmbeddings, pe, sagdPrompts, dense, highRes, candidates);
        var selected = TokenRange(outputs);
        masks = masks[.., selected];
        iou = iou[.., selected];
        Tensor? prior = box_prior_scale is not null && boxes is not null ? BoxPrior(boxes, masks.shape[^1]) * box_prior_scale : null;
        if (prior is not null) masks = masks.Plus(prior);

        Tensor? classLogits = null, semanticMask = null, presence = null, categoryMasks = null;
        if (cls_head is not null)
        {
            classLogits = cls_head.forward(tokens[.., (int)clsIndex, ..]);
        }
        else if (semantic_decoder is not null)
        {
            var s = semantic_decoder.forward(imageEmbeddings, pe, sparse, dense, highRes);
            (semanticMask, classLogits, presence, categoryMasks) = (s.MaskLogits, s.ClassLogits, s.PresenceLogits, s.CategoryMasks);
            if (prior is not null) semanticMask = semanticMask.Plus(prior);
        }
        return new SegSamOutput(masks.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope(), classLogits?.MoveToOuterDisposeScope(),
            semanticMask?.MoveToOuterDisposeScope(), presence?.MoveToOuterDisposeScope(), categoryMasks?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// +1 at low-res mask pixels whose centre lies in the box (inclusive pixel corners in the
    /// input frame, widened by half a pixel), −1 elsewhere: B×1×L×L.
    /// </summary>
    Tensor BoxPrior(Tensor boxes, long lowRes)
    {
        using var scope = NewDisposeScope();
        double step = (double)Config.Sam.ImageEncoder.ImgSize / lowRes;
        var centres = SafeMath.Range(lowRes, ScalarType.Float32, boxes.device).Plus(0.5).Times(step).Minus(0.5);
        var b = boxes.to(ScalarType.Float32);
        Tensor Inside(Tensor lo, Tensor hi) =>
            (centres.unsqueeze(0) >= lo.Minus(0.5).unsqueeze(1)).logical_and(centres.unsqueeze(0) <= hi.Plus(0.5).unsqueeze(1)); // B×L
        var x = Inside(b[.., 0], b[.., 2]);
        var y = Inside(b[.., 1], b[.., 3]);
        var inside = y.unsqueeze(2).logical_and(x.unsqueeze(1)).to(ScalarType.Float32);
        return inside.Times(2).Minus(1).unsqueeze(1).MoveToOuterDisposeScope();
    }
}
