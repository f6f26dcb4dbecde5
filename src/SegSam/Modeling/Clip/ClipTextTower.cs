using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's text encoder (the reference <c>CLIP.encode_text</c>): token embedding plus learned
/// positions, a causally masked transformer, <c>ln_final</c>, and the projection of the features
/// at each text's end-of-text token (the position of the highest id, which CLIP's tokenizer gives
/// to &lt;|endoftext|&gt;). Token ids B×context_length (int64 or int32, zero-padded as
/// <c>clip.tokenize</c> returns them) → B×embed_dim.
/// <para>
/// State-dict names are the reference's, at the top level: <c>token_embedding.weight</c>,
/// <c>positional_embedding</c>, <c>transformer.resblocks.N.*</c>, <c>ln_final.*</c>,
/// <c>text_projection</c> (W×embed, used as x·P). <see cref="ClipModel"/> extends this class, as
/// the reference CLIP class holds the text modules itself.
/// </para>
/// </summary>
public class ClipTextTower : nn.Module<Tensor, Tensor>
{
    readonly Embedding token_embedding;
    readonly Parameter positional_embedding;
    readonly ClipTransformer transformer;
    readonly ClipLayerNorm ln_final;
    readonly Parameter text_projection;

    public ClipConfig Config { get; }

    public ClipTextTower(ClipConfig config) : this(config, nameof(ClipTextTower)) { }

    protected ClipTextTower(ClipConfig config, string name) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        long w = config.TransformerWidth;
        token_embedding = nn.Embedding(config.VocabSize, w);
        positional_embedding = new Parameter(empty(config.ContextLength, w));
        transformer = new ClipTransformer(w, config.TransformerLayers, config.TransformerHeads);
        ln_final = new ClipLayerNorm(w);
        text_projection = new Parameter(empty(w, config.EmbedDim));
        Initialise();
        RegisterComponents();
    }

    /// <summary>The text transformer (LoRA goes on its blocks' attention).</summary>
    public ClipTransformer Transformer => transformer;

    /// <summary>The reference's initialize_parameters for the text side (weights are normally loaded over it).</summary>
    void Initialise()
    {
        long w = Config.TransformerWidth;
        double attnStd = Math.Pow(w, -0.5);
        double projStd = attnStd * Math.Pow(2.0 * Config.TransformerLayers, -0.5);
        double fcStd = Math.Pow(2.0 * w, -0.5);
        using var _ = no_grad();
        nn.init.normal_(token_embedding.weight!, std: 0.02);
        nn.init.normal_(positional_embedding, std: 0.01);
        foreach (var block in transformer.Blocks)
        {
            nn.init.normal_(block.Attention.InProjection!.weight!, std: attnStd);
            nn.init.normal_(block.Attention.OutProjection.weight!, std: projStd);
            nn.init.normal_(block.Mlp.Fc.weight!, std: fcStd);
            nn.init.normal_(block.Mlp.Proj.weight!, std: projStd);
        }
        nn.init.normal_(text_projection, std: attnStd);
    }

    /// <summary>Text features B×embed_dim (not normalised) for B×context_length token ids (int64, or int32 as clip.tokenize returns).</summary>
    public override Tensor forward(Tensor ids)
    {
        CheckIds(ids);
        using var scope = NewDisposeScope();
        if (ids.dtype != ScalarType.Int64) ids = ids.to(ScalarType.Int64);
        long b = ids.shape[0], l = ids.shape[1];
        var x = token_embedding.forward(ids).Plus(positional_embedding); // B×L×W
        using var mask = CausalMask(l, x.dtype, x.device);
        x = ln_final.forward(transformer.forward(x, mask));
        // The end-of-text token is the highest id of each text (reference: text.argmax(dim=-1)).
        var eot = ids.argmax(-1).view(b, 1, 1).expand(b, 1, x.shape[2]);
        var pooled = x.gather(1, eot).squeeze(1);                        // B×W
        return pooled.matmul(text_projection).MoveToOuterDisposeScope(); // B×embed
    }

    /// <summary>
    /// The reference's build_attention_mask: L×L, −∞ above the diagonal and 0 elsewhere, so a
    /// token attends to itself and the tokens before it.
    /// </summary>
    public static Tensor CausalMask(long length, ScalarType dtype, Device? device = null)
    {
        using var full = SafeMath.Full([length, length], double.NegativeInfinity, dtype, device);
        return full.triu(1);
    }

    void CheckIds(Tensor ids)
    {
        if (ids.dim() != 2 || ids.shape[1] != Config.ContextLength)
            throw new ArgumentException(
                $"CLIP text tower expects B×{Config.ContextLength} token ids (zero-padded as clip.tokenize does), got {Shapes.Format(ids.shape)}");
        if (ids.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"CLIP token ids must be int64 or int32, got {ids.dtype}");
        if (ids.shape[0] == 0) throw new ArgumentException("CLIP text tower got an empty batch");
        using var lo = ids.min();
        using var hi = ids.max();
        long min = lo.dtype == ScalarType.Int32 ? lo.item<int>() : lo.item<long>();
        long max = hi.dtype == ScalarType.Int32 ? hi.item<int>() : hi.item<long>();
        if (min < 0 || max >= Config.VocabSize)
            throw new ArgumentException($"CLIP token ids must lie in [0, {Config.VocabSize}), got values in [{min}, {max}]");
    }
}
