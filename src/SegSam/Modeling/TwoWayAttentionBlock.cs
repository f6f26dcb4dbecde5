using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// One two-way transformer layer: token self-attention, tokens → image cross-attention, token
/// MLP, image → tokens cross-attention; post-norm after each (the reference TwoWayAttentionBlock).
/// With <c>crossAttentionFirst</c> the first two steps swap places (tokens → image, then token
/// self-attention), as PG-SAM's transformer.py (logan-0623/PG-SAM at 01b0005) orders them;
/// the parameters are the same.
/// </summary>
internal sealed class TwoWayAttentionBlock : nn.Module
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
    readonly bool crossAttentionFirst;

    public TwoWayAttentionBlock(long embeddingDim, long numHeads, long mlpDim, long attentionDownsampleRate, bool skipFirstLayerPe,
                                bool crossAttentionFirst = false)
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
        this.crossAttentionFirst = crossAttentionFirst;
        RegisterComponents();
    }

    /// <summary>queries: B×Nq×D (tokens), keys: B×Nk×D (image); the PEs have the same shapes.</summary>
    public (Tensor Queries, Tensor Keys) forward(Tensor queries, Tensor keys, Tensor queryPe, Tensor keyPe)
    {
        using var scope = NewDisposeScope();
        var k = keys.Plus(keyPe);
        if (crossAttentionFirst)
        {
            queries = AttendToImage(queries, queryPe, k, keys);
            queries = SelfAttend(queries, queryPe);
        }
        else
        {
            queries = SelfAttend(queries, queryPe);
            queries = AttendToImage(queries, queryPe, k, keys);
        }

        queries = norm3.forward(queries.Plus(mlp.forward(queries)));

        var q = queries.Plus(queryPe);
        keys = norm4.forward(keys.Plus(cross_attn_image_to_token.forward(k, q, queries)));
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }

    /// <summary>Token self-attention and norm1; the first layer replaces the tokens (no PE, no residual).</summary>
    Tensor SelfAttend(Tensor queries, Tensor queryPe)
    {
        if (skipFirstLayerPe) return norm1.forward(self_attn.forward(queries, queries, queries));
        var q = queries.Plus(queryPe);
        return norm1.forward(queries.Plus(self_attn.forward(q, q, queries)));
    }

    /// <summary>Tokens → image cross-attention and norm2 (keysWithPe = keys + key PE).</summary>
    Tensor AttendToImage(Tensor queries, Tensor queryPe, Tensor keysWithPe, Tensor keys)
    {
        var q = queries.Plus(queryPe);
        return norm2.forward(queries.Plus(cross_attn_token_to_image.forward(q, keysWithPe, keys)));
    }
}
