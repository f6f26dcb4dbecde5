using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SEG-SAM's text-to-vision semantic enhancement (T2VSE, §3.2.2, Eq. 9): the category
/// descriptions' embeddings f_t and a text summary token attend to each other, are joined by
/// the prompt tokens t_p and attend to the image embedding; the summary token's output, through
/// an MLP, becomes one more prompt token for SAM's own decoder (t'_p = [t_p, MLP(t'_text)]).
/// The embeddings of the descriptions are stored with the model (a persistent buffer), so a
/// saved model needs neither the descriptions nor the text encoder at inference.
/// </summary>
public sealed class TextVisionEnhancer : nn.Module
{
    readonly Tensor text_embeddings;
    readonly Linear text_proj;
    readonly Embedding text_token;
    readonly TokenAttention self_attn;
    readonly LayerNorm norm1;
    readonly TokenAttention cross_attn_token_to_image;
    readonly LayerNorm norm2;
    readonly Mlp out_mlp;

    public long NumTexts => text_embeddings.shape[0];
    public long TextDim => text_embeddings.shape[1];

    public TextVisionEnhancer(long numTexts, long textDim, long dim, long numHeads) : base(nameof(TextVisionEnhancer))
    {
        text_embeddings = zeros(numTexts, textDim);
        register_buffer(nameof(text_embeddings), text_embeddings);
        text_proj = nn.Linear(textDim, dim);
        text_token = nn.Embedding(1, dim);
        self_attn = new TokenAttention(dim, numHeads);
        norm1 = nn.LayerNorm(dim);
        cross_attn_token_to_image = new TokenAttention(dim, numHeads, downsampleRate: 2);
        norm2 = nn.LayerNorm(dim);
        out_mlp = new Mlp(dim, dim, dim, 2);
        RegisterComponents();
    }

    /// <summary>Stores the category description embeddings (N×text_dim, in category order).</summary>
    public void SetTextEmbeddings(Tensor embeddings)
    {
        if (!embeddings.shape.SequenceEqual(text_embeddings.shape))
            throw new ArgumentException($"text embeddings must be {Shapes.Format(text_embeddings.shape)} (one row per category), got {Shapes.Format(embeddings.shape)}");
        using var noGrad = no_grad();
        text_embeddings.copy_(embeddings);
    }

    /// <summary>
    /// sparse: B×L×D prompt tokens; imageEmbeddings: 1 or B×D×h×w; imagePe: 1×D×h×w.
    /// Returns the enhanced text token to append to the prompts, B×1×D.
    /// </summary>
    public Tensor forward(Tensor sparse, Tensor imageEmbeddings, Tensor imagePe)
    {
        using var scope = NewDisposeScope();
        long batch = sparse.shape[0];
        var texts = text_proj.forward(text_embeddings).unsqueeze(0).expand(batch, -1, -1);
        var summary = text_token.weight!.unsqueeze(0).expand(batch, -1, -1);
        var tokens = cat([texts, summary], 1);
        tokens = norm1.forward(tokens.Plus(self_attn.forward(tokens, tokens, tokens)));

        var queries = cat([tokens, sparse], 1);
        var src = MaskDecoder.ExpandToBatch(imageEmbeddings, batch, "image embeddings").flatten(2).permute(0, 2, 1);
        var pos = MaskDecoder.ExpandToBatch(imagePe, batch, "image positional encoding").flatten(2).permute(0, 2, 1);
        queries = norm2.forward(queries.Plus(cross_attn_token_to_image.forward(queries, src.Plus(pos), src)));
        var textOut = queries[.., (int)NumTexts, ..];
        return out_mlp.forward(textOut).unsqueeze(1).MoveToOuterDisposeScope();
    }
}
