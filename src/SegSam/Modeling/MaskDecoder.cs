using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAM's mask decoder: output tokens (IoU + mask tokens) and prompt tokens run through the
/// two-way transformer with the image embedding; the mask tokens, through per-token
/// hypernetwork MLPs, weight the 4× upscaled image features into mask logits; the IoU token
/// predicts each mask's quality.
/// </summary>
public sealed class MaskDecoder : nn.Module
{
    readonly TwoWayTransformer transformer;
    readonly Embedding iou_token;
    readonly Embedding mask_tokens;
    readonly Sequential output_upscaling;
    readonly ModuleList<Mlp> output_hypernetworks_mlps;
    readonly Mlp iou_prediction_head;

    public long TransformerDim { get; }
    public int NumMultimaskOutputs { get; }
    public int NumMaskTokens => NumMultimaskOutputs + 1;
    internal Tensor MaskTokenWeights => mask_tokens.weight!;
    internal IList<Mlp> Hypernetworks => output_hypernetworks_mlps;
    internal Mlp IouHead => iou_prediction_head;

    public MaskDecoder(long transformerDim, TwoWayTransformer transformer, int numMultimaskOutputs = 3,
                       int iouHeadDepth = 3, long iouHeadHiddenDim = 256) : base(nameof(MaskDecoder))
    {
        TransformerDim = transformerDim;
        NumMultimaskOutputs = numMultimaskOutputs;
        this.transformer = transformer;
        iou_token = nn.Embedding(1, transformerDim);
        mask_tokens = nn.Embedding(NumMaskTokens, transformerDim);
        output_upscaling = OutputUpscaling(transformerDim);
        output_hypernetworks_mlps = new ModuleList<Mlp>();
        for (int i = 0; i < NumMaskTokens; i++)
            output_hypernetworks_mlps.Add(new Mlp(transformerDim, transformerDim, transformerDim / 8, 3));
        iou_prediction_head = new Mlp(transformerDim, iouHeadHiddenDim, NumMaskTokens, iouHeadDepth);
        RegisterComponents();
    }

    /// <summary>
    /// SAM's 4× upscaling of the image tokens for the hypernetwork product: D×h×w → D/8×4h×4w
    /// (two stride-2 transposed convolutions with LayerNorm2d and GELU).
    /// </summary>
    public static Sequential OutputUpscaling(long dim) => nn.Sequential(
        nn.ConvTranspose2d(dim, dim / 4, kernel_size: 2, stride: 2),
        new LayerNorm2d(dim / 4),
        nn.GELU(),
        nn.ConvTranspose2d(dim / 4, dim / 8, kernel_size: 2, stride: 2),
        nn.GELU());

    /// <summary>
    /// imageEmbeddings: 1×D×h×w (shared by every prompt) or B×D×h×w (one per prompt);
    /// imagePe: 1×D×h×w; sparse: B×N×D; dense: B×D×h×w.
    /// Returns mask logits B×M×4h×4w and IoU predictions B×M, M = 3 with multimask else 1.
    /// </summary>
    public (Tensor Masks, Tensor IouPred) forward(Tensor imageEmbeddings, Tensor imagePe, Tensor sparsePromptEmbeddings,
                                                  Tensor densePromptEmbeddings, bool multimaskOutput)
    {
        using var scope = NewDisposeScope();
        var (masks, iou) = PredictMasks(imageEmbeddings, imagePe, sparsePromptEmbeddings, densePromptEmbeddings);
        // Token 0 is the single-mask output; tokens 1.. disambiguate an ambiguous prompt.
        var selected = multimaskOutput ? (1..) : (0..1);
        return (masks[.., selected].MoveToOuterDisposeScope(), iou[.., selected].MoveToOuterDisposeScope());
    }

    /// <summary>All mask tokens' logits (B×(M+1)×4h×4w) and IoU predictions (B×(M+1)).</summary>
    public (Tensor Masks, Tensor IouPred) PredictMasks(Tensor imageEmbeddings, Tensor imagePe, Tensor sparsePromptEmbeddings,
                                                       Tensor densePromptEmbeddings)
    {
        using var scope = NewDisposeScope();
        var (masks, iou, _) = PredictMasksAndTokens(imageEmbeddings, imagePe, sparsePromptEmbeddings, densePromptEmbeddings);
        return (masks.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// <see cref="PredictMasks"/> plus the transformer's output for every token (B×(1+M+N)×D:
    /// IoU token, mask tokens, then the sparse prompt tokens in order), so that extra tokens
    /// passed with the prompts (SEG-SAM's cls-token baseline) can be read out. Optional
    /// pixel-level features (1 or B×D/8×4h×4w, see HighResStem) are added to the upscaled
    /// image features; without them this is SAM's decoder. <paramref name="candidates"/> (box
    /// candidates' own tokens) take the place of tokens 1…M: their tokens, hypernetworks and IoU outputs.
    /// </summary>
    public (Tensor Masks, Tensor IouPred, Tensor Tokens) PredictMasksAndTokens(Tensor imageEmbeddings, Tensor imagePe,
        Tensor sparsePromptEmbeddings, Tensor densePromptEmbeddings, Tensor? highResFeatures = null, BoxCandidateTokens? candidates = null)
    {
        if (candidates is not null && candidates.Count != NumMultimaskOutputs)
            throw new ArgumentException($"{candidates.Count} box candidate tokens cannot take the place of {NumMultimaskOutputs} click candidates");
        using var scope = NewDisposeScope();
        long batch = sparsePromptEmbeddings.shape[0];
        var maskTokens = candidates is null ? mask_tokens.weight! : cat([mask_tokens.weight![..1], candidates.TokenWeights], 0);
        var outputTokens = cat([iou_token.weight!, maskTokens], 0).unsqueeze(0).expand(batch, -1, -1);
        var tokens = cat([outputTokens, sparsePromptEmbeddings], 1);

        var src = ExpandToBatch(imageEmbeddings, batch, "image embeddings").Plus(densePromptEmbeddings);
        var posSrc = ExpandToBatch(imagePe, batch, "image positional encoding");
        long b = src.shape[0], c = src.shape[1], h = src.shape[2], w = src.shape[3];

        var (hs, keys) = transformer.forward(src, posSrc, tokens);
        var iouTokenOut = hs[.., 0, ..];
        var maskTokensOut = hs[.., 1..(1 + NumMaskTokens), ..];

        var upscaled = output_upscaling.forward(keys.transpose(1, 2).reshape(b, c, h, w));
        if (highResFeatures is not null) upscaled = upscaled.Plus(ExpandToBatch(highResFeatures, b, "high-resolution features"));
        IList<Mlp> hypernetworks = candidates is null ? output_hypernetworks_mlps : [output_hypernetworks_mlps[0], .. candidates.Hypernetworks];
        var hyperIn = stack(Enumerable.Range(0, NumMaskTokens).Select(i => hypernetworks[i].forward(maskTokensOut[.., i, ..])), 1);
        long uc = upscaled.shape[1], uh = upscaled.shape[2], uw = upscaled.shape[3];
        var masks = hyperIn.matmul(upscaled.view(b, uc, uh * uw)).view(b, -1, uh, uw);
        var iouPred = iou_prediction_head.forward(iouTokenOut);
        if (candidates is not null) iouPred = cat([iouPred[.., ..1], candidates.IouHead.forward(iouTokenOut)], 1);
        return (masks.MoveToOuterDisposeScope(), iouPred.MoveToOuterDisposeScope(), hs.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The reference repeats one image's embedding for every prompt; a batch that already holds
    /// one embedding per prompt (training on many images) is used as is.
    /// </summary>
    internal static Tensor ExpandToBatch(Tensor t, long batch, string what)
    {
        if (t.shape[0] == batch) return t;
        if (t.shape[0] == 1) return t.expand(batch, -1, -1, -1);
        throw new ArgumentException($"{what} batch ({t.shape[0]}) must be 1 or match the prompt batch ({batch})");
    }
}
