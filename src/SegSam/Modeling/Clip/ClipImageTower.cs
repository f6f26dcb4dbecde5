using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's image encoder (the reference VisionTransformer): patches embedded by a bias-free
/// strided convolution, a learned class token prepended, learned positions added, <c>ln_pre</c>,
/// the transformer (no mask), <c>ln_post</c> on the class token and the projection to the joint
/// embedding. Images B×3×R×R, already normalised (<see cref="ClipPreprocess"/>) → B×embed_dim.
/// <para>
/// State-dict names are the reference's without the <c>visual.</c> prefix that
/// <see cref="ClipModel"/> adds: <c>conv1.weight</c>, <c>class_embedding</c>,
/// <c>positional_embedding</c>, <c>ln_pre.*</c>, <c>transformer.resblocks.N.*</c>,
/// <c>ln_post.*</c>, <c>proj</c> (W×embed, used as x·P).
/// </para>
/// </summary>
public sealed class ClipImageTower : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly Parameter class_embedding;
    readonly Parameter positional_embedding;
    readonly ClipLayerNorm ln_pre;
    readonly ClipTransformer transformer;
    readonly ClipLayerNorm ln_post;
    readonly Parameter proj;

    public ClipConfig Config { get; }

    public ClipImageTower(ClipConfig config) : base(nameof(ClipImageTower))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        long w = config.VisionWidth;
        conv1 = nn.Conv2d(3, w, kernel_size: config.VisionPatchSize, stride: config.VisionPatchSize, bias: false);
        // The reference's initialisation: N(0, 1/W) embeddings and projection.
        double scale = Math.Pow(w, -0.5);
        using (no_grad())
        {
            using var c = randn(w);
            class_embedding = new Parameter(c.Times(scale));
            using var p = randn(config.VisionTokens, w);
            positional_embedding = new Parameter(p.Times(scale));
            using var q = randn(w, config.EmbedDim);
            proj = new Parameter(q.Times(scale));
        }
        ln_pre = new ClipLayerNorm(w);
        transformer = new ClipTransformer(w, config.VisionLayers, config.VisionHeads);
        ln_post = new ClipLayerNorm(w);
        RegisterComponents();
    }

    /// <summary>The image transformer.</summary>
    public ClipTransformer Transformer => transformer;

    /// <summary>Image features B×embed_dim (not normalised) for normalised B×3×R×R images.</summary>
    public override Tensor forward(Tensor images)
    {
        long r = Config.ImageResolution;
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != r || images.shape[3] != r)
            throw new ArgumentException(
                $"CLIP image tower expects B×3×{r}×{r} normalised images (see ClipPreprocess), got {Shapes.Format(images.shape)}");
        if (!images.is_floating_point())
            throw new ArgumentException($"CLIP images must be floating point, got {images.dtype}");
        using var scope = NewDisposeScope();
        long b = images.shape[0], w = Config.VisionWidth;
        var patches = conv1.forward(images.to(conv1.weight!.dtype)) // B×W×g×g
            .flatten(2).transpose(1, 2);                            // B×g²×W
        var cls = class_embedding.to(patches.dtype).view(1, 1, w).expand(b, 1, w);
        var x = cat([cls, patches], 1).Plus(positional_embedding); // B×(g²+1)×W
        x = transformer.forward(ln_pre.forward(x), null);
        var pooled = ln_post.forward(x.select(1, 0));               // B×W, the class token
        return pooled.matmul(proj).MoveToOuterDisposeScope();       // B×embed
    }
}
