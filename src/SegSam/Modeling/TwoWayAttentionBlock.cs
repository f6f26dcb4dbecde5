using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// One two-way transformer layer: token self-attention, tokens → image cross-attention, token
/// MLP, image → tokens cross-attention; post-norm after each (the reference TwoWayAttentionBlock).
/// </summary>
public sealed class TwoWayAttentionBlock : nn.Module
{
    readonly TokenAttention self_attn;
    readonly LayerNorm norm1;
    readonly TokenAttention cross_attn_token_to_image;
    readonly LayerNorm norm2;
    readonly MlpBlock mlp;
    readonly LayerNorm norm3;
    readonly LayerNorm norm4;
    readonly TokenAttention cross_attn_image_to_token;
    readonly bool skipFirstLayerPe;

    public TwoWayAttentionBlock(long embeddingDim, long numHeads, long mlpDim, long attentionDownsampleRate, bool skipFirstLayerPe)
        : base(nameof(TwoWayAttentionBlock))
    {
        self_attn = new TokenAttention(embeddingDim, numHeads);
        norm1 = nn.LayerNorm(embeddingDim);
        cross_attn_token_to_image = new TokenAttention(embeddingDim, numHeads, attentionDownsampleRate);
        norm2 = nn.LayerNorm(embeddingDim);
        mlp = new MlpBlock(embeddingDim, mlpDim, () => nn.ReLU());
        norm3 = nn.LayerNorm(embeddingDim);
        norm4 = nn.LayerNorm(embeddingDim);
        cross_attn_image_to_token = new TokenAttention(embeddingDim, numHeads, attentionDownsampleRate);
        this.skipFirstLayerPe = skipFirstLayerPe;
        RegisterComponents();
    }

    /// <summary>queries: B×Nq×D (tokens), keys: B×Nk×D (image); the PEs have the same shapes.</summary>
    public (Tensor Queries, Tensor Keys) forward(Tensor queries, Tensor keys, Tensor queryPe, Tensor keyPe)
    {
        using var scope = NewDisposeScope();
        if (skipFirstLayerPe)
        {
            queries = self_attn.forward(queries, queries, queries);
        }
        else
        {
            var q0 = queries.Plus(queryPe);
            queries = queries.Plus(self_attn.forward(q0, q0, queries));
        }
        queries = norm1.forward(queries);

        var q = queries.Plus(queryPe);
        var k = keys.Plus(keyPe);
        queries = norm2.forward(queries.Plus(cross_attn_token_to_image.forward(q, k, keys)));

        queries = norm3.forward(queries.Plus(mlp.forward(queries)));

        q = queries.Plus(queryPe);
        keys = norm4.forward(keys.Plus(cross_attn_image_to_token.forward(k, q, queries)));
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }
}
