using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// The CLIP model (the reference CLIP class, ViT variant): the text tower, the image tower under
/// <c>visual</c>, and <c>logit_scale</c>. Like the reference class, the model <em>is</em> the text
/// encoder plus <c>visual</c> (this class extends <see cref="ClipTextTower"/>), which is what puts
/// its state-dict names where OpenAI's checkpoints have them: <c>token_embedding.weight</c>,
/// <c>transformer.resblocks.N.*</c>, <c>visual.conv1.weight</c>, …, <c>logit_scale</c>; only
/// the fused attention projection differs (<see cref="ClipNames"/>). <c>forward</c> is
/// <see cref="EncodeText"/>.
/// </summary>
public sealed class ClipModel : ClipTextTower
{
    readonly ClipImageTower visual;
    readonly Parameter logit_scale;

    public ClipModel(ClipConfig config) : base(config, nameof(ClipModel))
    {
        visual = new ClipImageTower(config);
        // The reference's initial temperature: log(1 / 0.07).
        logit_scale = new Parameter(SafeMath.Full([], Math.Log(1 / 0.07), ScalarType.Float32));
        // The base constructor registered the text components; these come after them.
        register_module(nameof(visual), visual);
        register_parameter(nameof(logit_scale), logit_scale);
    }

    /// <summary>The image tower (<c>visual.*</c>).</summary>
    public ClipImageTower Visual => visual;

    /// <summary>The text tower: this model itself, whose forward encodes text.</summary>
    public ClipTextTower Text => this;

    /// <summary>log of the logits' temperature (a scalar).</summary>
    public Parameter LogitScale => logit_scale;

    /// <summary>Text features B×embed_dim for B×context_length int64 token ids.</summary>
    public Tensor EncodeText(Tensor ids) => forward(ids);

    /// <summary>Image features B×embed_dim for normalised B×3×R×R images.</summary>
    public Tensor EncodeImage(Tensor images) => visual.forward(images);

    /// <summary>
    /// The reference's forward: cosine similarities of the L2-normalised image and text features,
    /// times exp(logit_scale). Returns (per image: Bi×Bt, per text: Bt×Bi).
    /// </summary>
    public (Tensor PerImage, Tensor PerText) Logits(Tensor images, Tensor ids)
    {
        using var scope = NewDisposeScope();
        var image = nn.functional.normalize(EncodeImage(images), p: 2, dim: 1);
        var text = nn.functional.normalize(EncodeText(ids), p: 2, dim: 1);
        var perImage = image.matmul(text.t()).mul(logit_scale.exp());
        var perText = perImage.t().contiguous();
        return (perImage.MoveToOuterDisposeScope(), perText.MoveToOuterDisposeScope());
    }
}
