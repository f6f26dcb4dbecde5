using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM's mask decoder (segment_anything/modeling/mask_decoder.py of logan-0623/PG-SAM at
/// 01b0005). As SAM's: IoU and mask tokens with the prompt tokens through the two-way transformer
/// (here in PG-SAM's layer order, tokens → image before self-attention), hypernetwork MLPs weight
/// the upscaled image features into one mask per token, an MLP on the IoU token scores them.
/// Different from SAM's: the upscaling is ConvTranspose (D→D/2) → GroupNorm(1) → GELU →
/// ConvTranspose (D/2→D/4) → GroupNorm(1) → GELU → 1×1 conv (D/4→D/8); the guide matrix, resized
/// bilinearly to the 4× grid, is added through a 1×1 conv D→D/8 (the "multi-level fusion");
/// the mask optimizer refines every mask <c>refineIterations</c> times:
/// m ← m + Conv1×1(GELU(Conv3×3([m, upscaled]))).
/// </summary>
public sealed class PgSamMaskDecoder : nn.Module
{
    readonly TwoWayTransformer transformer;
    readonly Embedding iou_token;
    readonly Embedding mask_tokens;
    readonly ConvTranspose2d up1;
    readonly GroupLayerNorm2d ln1;
    readonly GELU act1;
    readonly ConvTranspose2d up2;
    readonly GroupLayerNorm2d ln2;
    readonly GELU act2;
    readonly Conv2d final_conv;
    readonly Conv2d? guide_fusion_conv;
    readonly ModuleList<Mlp> output_hypernetworks_mlps;
    readonly Mlp iou_prediction_head;
    readonly Sequential mask_refiner;

    public long TransformerDim { get; }
    public int NumMultimaskOutputs { get; }
    public int NumMaskTokens => NumMultimaskOutputs + 1;
    public int RefineIterations { get; }
    public bool UsesGuide => guide_fusion_conv is not null;

    public PgSamMaskDecoder(long transformerDim, TwoWayTransformer transformer, int numMultimaskOutputs, int refineIterations,
                            bool useGuide = true, int iouHeadDepth = 3, long? iouHeadHiddenDim = null) : base(nameof(PgSamMaskDecoder))
    {
        if (transformerDim % 8 != 0) throw new ArgumentException($"the decoder width ({transformerDim}) must be a multiple of 8");
        if (refineIterations < 0) throw new ArgumentOutOfRangeException(nameof(refineIterations), "refinement iterations must be >= 0");
        TransformerDim = transformerDim;
        NumMultimaskOutputs = numMultimaskOutputs;
        RefineIterations = refineIterations;
        long d = transformerDim;
        this.transformer = transformer;
        iou_token = nn.Embedding(1, d);
        mask_tokens = nn.Embedding(NumMaskTokens, d);
        up1 = nn.ConvTranspose2d(d, d / 2, kernel_size: 2, stride: 2);
        ln1 = new GroupLayerNorm2d(d / 2);
        act1 = nn.GELU();
        up2 = nn.ConvTranspose2d(d / 2, d / 4, kernel_size: 2, stride: 2);
        ln2 = new GroupLayerNorm2d(d / 4);
        act2 = nn.GELU();
        final_conv = nn.Conv2d(d / 4, d / 8, kernel_size: 1);
        if (useGuide) guide_fusion_conv = nn.Conv2d(d, d / 8, kernel_size: 1);
        output_hypernetworks_mlps = new ModuleList<Mlp>();
        for (int i = 0; i < NumMaskTokens; i++) output_hypernetworks_mlps.Add(new Mlp(d, d, d / 8, 3));
        iou_prediction_head = new Mlp(d, iouHeadHiddenDim ?? d, NumMaskTokens, iouHeadDepth);
        // 1 + D/8 input channels: never a multiple of oneDNN's channel block, see ChannelAlignedConv2d.
        mask_refiner = nn.Sequential(
            new ChannelAlignedConv2d(1 + d / 8, d / 8, kernelSize: 3, padding: 1),
            nn.GELU(),
            nn.Conv2d(d / 8, 1, kernel_size: 1));
        RegisterComponents();
    }

    /// <summary>
    /// imageEmbeddings: B×D×h×w; imagePe: 1×D×h×w; sparse: 1 or B×N×D; dense: 1 or B×D×h×w;
    /// guide: B×D×h'×w' (required exactly when the decoder was built with the guide fusion).
    /// Returns every token's mask logits after refinement (B×(M+1)×4h×4w), the same before
    /// refinement, and the IoU predictions (B×(M+1)); token 0 is SAM's single-mask output.
    /// </summary>
    public PgSamDecoderOutput forward(Tensor imageEmbeddings, Tensor imagePe, Tensor sparsePromptEmbeddings, Tensor densePromptEmbeddings,
                                      Tensor? guide)
    {
        if (imageEmbeddings.dim() != 4 || imageEmbeddings.shape[1] != TransformerDim)
            throw new ArgumentException($"image embeddings must be B×{TransformerDim}×h×w, got {Shapes.Format(imageEmbeddings.shape)}");
        if (UsesGuide != (guide is not null))
            throw new ArgumentException(UsesGuide ? "this decoder fuses a guide matrix; pass one" : "this decoder has no guide fusion; pass no guide");
        long b = imageEmbeddings.shape[0], h = imageEmbeddings.shape[2], w = imageEmbeddings.shape[3];
        if (guide is not null && (guide.dim() != 4 || guide.shape[0] != b || guide.shape[1] != TransformerDim))
            throw new ArgumentException($"the guide matrix must be {b}×{TransformerDim}×h×w, got {Shapes.Format(guide.shape)}");
        if (sparsePromptEmbeddings.dim() != 3 || sparsePromptEmbeddings.shape[2] != TransformerDim)
            throw new ArgumentException($"sparse prompt embeddings must be B×N×{TransformerDim}, got {Shapes.Format(sparsePromptEmbeddings.shape)}");
        if (!imagePe.shape.SequenceEqual(new[] { 1, TransformerDim, h, w }))
            throw new ArgumentException($"image positional encoding {Shapes.Format(imagePe.shape)} must be 1×{TransformerDim}×{h}×{w}");

        using var scope = NewDisposeScope();
        // The reference runs one token set (batch 1, no prompts) against B embeddings by
        // broadcasting; expanding the tokens to B computes the same.
        var outputTokens = cat([iou_token.weight!, mask_tokens.weight!], 0).unsqueeze(0).expand(b, -1, -1);
        var sparse = sparsePromptEmbeddings.shape[0] == b ? sparsePromptEmbeddings
            : sparsePromptEmbeddings.shape[0] == 1 ? sparsePromptEmbeddings.expand(b, -1, -1)
            : throw new ArgumentException($"sparse prompt batch ({sparsePromptEmbeddings.shape[0]}) must be 1 or match the image batch ({b})");
        var tokens = cat([outputTokens, sparse], 1);
        var src = imageEmbeddings.Plus(MaskDecoder.ExpandToBatch(densePromptEmbeddings, b, "dense prompt embeddings"));
        var (hs, keys) = transformer.forward(src, imagePe.expand(b, -1, -1, -1), tokens);
        var iouTokenOut = hs[.., 0, ..];
        var maskTokensOut = hs[.., 1..(1 + NumMaskTokens), ..];

        var upscaled = Upscale(keys.transpose(1, 2).reshape(b, TransformerDim, h, w));
        if (guide_fusion_conv is not null && guide is not null)
        {
            long uh = upscaled.shape[2], uw = upscaled.shape[3];
            var resized = nn.functional.interpolate(guide, size: [uh, uw], mode: InterpolationMode.Bilinear, align_corners: false);
            upscaled = upscaled.Plus(guide_fusion_conv.forward(resized));
        }

        var hyperIn = stack(Enumerable.Range(0, NumMaskTokens)
            .Select(i => output_hypernetworks_mlps[i].forward(maskTokensOut[.., i, ..])), 1); // B×T×D/8
        long c = upscaled.shape[1], lh = upscaled.shape[2], lw = upscaled.shape[3];
        var coarse = hyperIn.matmul(upscaled.view(b, c, lh * lw)).view(b, NumMaskTokens, lh, lw);
        var masks = coarse.alias(); // a handle of its own: both outputs are returned and disposed
        for (int i = 0; i < RefineIterations; i++) masks = masks.Plus(RefinementDelta(masks, upscaled));
        var iouPred = iou_prediction_head.forward(iouTokenOut);
        return new PgSamDecoderOutput(masks.MoveToOuterDisposeScope(), coarse.MoveToOuterDisposeScope(), iouPred.MoveToOuterDisposeScope());
    }

    /// <summary>B×D×h×w → B×D/8×4h×4w.</summary>
    Tensor Upscale(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = act1.forward(ln1.forward(up1.forward(x)));
        x = act2.forward(ln2.forward(up2.forward(x)));
        return final_conv.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One step of the mask optimizer for every token at once: each mask (B×T×H×W) with the
    /// upscaled features (B×C×H×W) → its correction (B×T×H×W). The reference loops over the
    /// tokens; running them as one batch of B·T computes the same.
    /// </summary>
    Tensor RefinementDelta(Tensor masks, Tensor upscaled)
    {
        using var scope = NewDisposeScope();
        long b = masks.shape[0], t = masks.shape[1], h = masks.shape[2], w = masks.shape[3], c = upscaled.shape[1];
        var features = upscaled.unsqueeze(1).expand(b, t, c, h, w).reshape(b * t, c, h, w);
        var input = cat([masks.reshape(b * t, 1, h, w), features], 1);
        return mask_refiner.forward(input).view(b, t, h, w).MoveToOuterDisposeScope();
    }
}
