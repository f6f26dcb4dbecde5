using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SEG-SAM's classification-oriented tokens (CO-tokens, Eq. 7): one learned token per category,
/// self-attention among them, cross-attention to the image, then an MLP; post-norm residual
/// layers as in SAM's two-way blocks. The prompts are not seen: these tokens look at the
/// unprompted content of the image.
/// </summary>
internal sealed class CategoryTokenBranch : nn.Module
{
    readonly Embedding co_tokens;
    readonly TokenAttention self_attn;
    readonly LayerNorm norm1;
    readonly TokenAttention cross_attn_token_to_image;
    readonly LayerNorm norm2;
    readonly MlpBlock mlp;
    readonly LayerNorm norm3;

    public CategoryTokenBranch(long numCategories, long dim, long numHeads, long mlpDim) : base(nameof(CategoryTokenBranch))
    {
        co_tokens = nn.Embedding(numCategories, dim);
        self_attn = new TokenAttention(dim, numHeads);
        norm1 = nn.LayerNorm(dim);
        cross_attn_token_to_image = new TokenAttention(dim, numHeads, downsampleRate: 2);
        norm2 = nn.LayerNorm(dim);
        mlp = new MlpBlock(dim, mlpDim, () => nn.ReLU());
        norm3 = nn.LayerNorm(dim);
        RegisterComponents();
    }

    /// <summary>keys, keyPe: B×hw×D image tokens and their positional encoding → B×N×D refined CO-tokens.</summary>
    public Tensor forward(Tensor keys, Tensor keyPe)
    {
        using var scope = NewDisposeScope();
        long batch = keys.shape[0];
        var tokenPe = co_tokens.weight!.unsqueeze(0).expand(batch, -1, -1);
        var queries = norm1.forward(tokenPe.Plus(self_attn.forward(tokenPe, tokenPe, tokenPe)));
        var attended = cross_attn_token_to_image.forward(queries.Plus(tokenPe), keys.Plus(keyPe), keys);
        queries = norm2.forward(queries.Plus(attended));
        queries = norm3.forward(queries.Plus(mlp.forward(queries)));
        return queries.MoveToOuterDisposeScope();
    }
}
