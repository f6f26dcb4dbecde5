using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAM's two-way transformer: prompt tokens and image tokens attend to each other for
/// <c>depth</c> layers, then a final token → image attention (the reference TwoWayTransformer).
/// <c>crossAttentionFirst</c> selects PG-SAM's layer order (see TwoWayAttentionBlock).
/// </summary>
public sealed class TwoWayTransformer : nn.Module
{
    readonly ModuleList<TwoWayAttentionBlock> layers;
    readonly TokenAttention final_attn_token_to_image;
    readonly LayerNorm norm_final_attn;

    public long EmbeddingDim { get; }

    public TwoWayTransformer(int depth, long embeddingDim, long numHeads, long mlpDim, long attentionDownsampleRate = 2,
                             bool crossAttentionFirst = false)
        : base(nameof(TwoWayTransformer))
    {
        EmbeddingDim = embeddingDim;
        layers = new ModuleList<TwoWayAttentionBlock>();
        for (int i = 0; i < depth; i++)
            layers.Add(new TwoWayAttentionBlock(embeddingDim, numHeads, mlpDim, attentionDownsampleRate, skipFirstLayerPe: i == 0, crossAttentionFirst));
        final_attn_token_to_image = new TokenAttention(embeddingDim, numHeads, attentionDownsampleRate);
        norm_final_attn = nn.LayerNorm(embeddingDim);
        RegisterComponents();
    }

    /// <summary>
    /// imageEmbedding, imagePe: B×D×h×w; pointEmbedding: B×N×D.
    /// Returns the processed tokens (B×N×D) and image tokens (B×hw×D).
    /// </summary>
    public (Tensor Queries, Tensor Keys) forward(Tensor imageEmbedding, Tensor imagePe, Tensor pointEmbedding)
    {
        using var scope = NewDisposeScope();
        var keys = imageEmbedding.flatten(2).permute(0, 2, 1);
        var keyPe = imagePe.flatten(2).permute(0, 2, 1);
        var queries = pointEmbedding;
        foreach (var layer in layers)
            (queries, keys) = layer.forward(queries, keys, pointEmbedding, keyPe);

        var q = queries.Plus(pointEmbedding);
        var k = keys.Plus(keyPe);
        queries = norm_final_attn.forward(queries.Plus(final_attn_token_to_image.forward(q, k, keys)));
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }
}
