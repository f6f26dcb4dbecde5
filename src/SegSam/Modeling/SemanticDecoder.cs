using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SEG-SAM's semantic-aware decoder (SAWD, §3.2.1). A segmentation-oriented token (SO-token) is
/// joined to the prompt tokens t_p, runs through a two-way transformer with the image (self-
/// attention, then bidirectional cross-attention, Eq. 5), and yields the prompted object's mask
/// (MLP(t'_so) · upscaled f'_v, Eq. 6) and class. Optionally, category tokens first predict which
/// other categories are present (Eq. 7–8) and an MLP of those scores is added to the SO-token,
/// or, in the SAWD_sem variant, segment every category over the whole image.
/// </summary>
public sealed class SemanticDecoder : nn.Module
{
    readonly Embedding so_token;
    readonly CategoryTokenBranch? category_tokens;
    readonly Parameter? presence_weight;
    readonly Parameter? presence_bias;
    readonly Mlp? presence_to_token;
    readonly Mlp? category_mask_mlp;
    readonly TwoWayTransformer transformer;
    readonly Sequential output_upscaling;
    readonly Mlp mask_mlp;
    readonly Linear class_head;

    public UnpromptedMode Unprompted { get; }
    public long NumClasses { get; }

    public SemanticDecoder(long dim, long numClasses, SemanticDecoderConfig config) : base(nameof(SemanticDecoder))
    {
        Unprompted = config.Unprompted;
        NumClasses = numClasses;
        so_token = nn.Embedding(1, dim);
        if (config.Unprompted != UnpromptedMode.None)
            category_tokens = new CategoryTokenBranch(numClasses, dim, config.TransformerNumHeads, config.TransformerMlpDim);
        if (config.Unprompted == UnpromptedMode.Classify)
        {
            // One binary classifier per CO-token (Eq. 8): a weight row and a bias per category.
            presence_weight = new Parameter(randn(numClasses, dim).TimesInPlace(1.0 / Math.Sqrt(dim)));
            presence_bias = new Parameter(zeros(numClasses));
            presence_to_token = new Mlp(numClasses, dim, dim, 2);
        }
        if (config.Unprompted == UnpromptedMode.Segment)
            category_mask_mlp = new Mlp(dim, dim, dim / 8, 3);
        transformer = new TwoWayTransformer(config.TransformerDepth, dim, config.TransformerNumHeads, config.TransformerMlpDim);
        output_upscaling = MaskDecoder.OutputUpscaling(dim);
        mask_mlp = new Mlp(dim, dim, dim / 8, 3);
        class_head = nn.Linear(dim, numClasses);
        RegisterComponents();
    }

    /// <summary>
    /// imageEmbeddings: 1×D×h×w or B×D×h×w; imagePe: 1×D×h×w; sparse: B×L×D (t_p); dense: B×D×h×w.
    /// </summary>
    public SemanticOutput forward(Tensor imageEmbeddings, Tensor imagePe, Tensor sparse, Tensor dense, Tensor? highResFeatures = null)
    {
        using var scope = NewDisposeScope();
        long batch = sparse.shape[0];
        var src = MaskDecoder.ExpandToBatch(imageEmbeddings, batch, "image embeddings").Plus(dense);
        var pos = MaskDecoder.ExpandToBatch(imagePe, batch, "image positional encoding");
        long d = src.shape[1], h = src.shape[2], w = src.shape[3];

        var soToken = so_token.weight!.unsqueeze(0).expand(batch, -1, -1);
        Tensor? presence = null, categoryTokens = null;
        if (category_tokens is not null)
        {
            var keys = src.flatten(2).permute(0, 2, 1);
            var keyPe = pos.flatten(2).permute(0, 2, 1);
            categoryTokens = category_tokens.forward(keys, keyPe);
            if (presence_weight is not null && presence_bias is not null && presence_to_token is not null)
            {
                presence = (categoryTokens * presence_weight.unsqueeze(0)).sum(-1).Plus(presence_bias);
                // Category priors from the unprompted objects enter the SO-token (element-wise add).
                soToken = soToken.Plus(presence_to_token.forward(presence.sigmoid()).unsqueeze(1));
            }
        }

        var (hs, imageTokens) = transformer.forward(src, pos, cat([soToken, sparse], 1));
        var soOut = hs[.., 0, ..];
        var upscaled = output_upscaling.forward(imageTokens.transpose(1, 2).reshape(batch, d, h, w));
        if (highResFeatures is not null) upscaled = upscaled.Plus(MaskDecoder.ExpandToBatch(highResFeatures, batch, "high-resolution features"));
        long uc = upscaled.shape[1], uh = upscaled.shape[2], uw = upscaled.shape[3];
        var pixels = upscaled.view(batch, uc, uh * uw);
        var mask = mask_mlp.forward(soOut).unsqueeze(1).matmul(pixels).view(batch, 1, uh, uw);
        var classLogits = class_head.forward(soOut);

        Tensor? categoryMasks = null;
        if (category_mask_mlp is not null && categoryTokens is not null)
            categoryMasks = category_mask_mlp.forward(categoryTokens).matmul(pixels).view(batch, -1, uh, uw);

        return new SemanticOutput(mask.MoveToOuterDisposeScope(), classLogits.MoveToOuterDisposeScope(),
            presence?.MoveToOuterDisposeScope(), categoryMasks?.MoveToOuterDisposeScope());
    }
}
