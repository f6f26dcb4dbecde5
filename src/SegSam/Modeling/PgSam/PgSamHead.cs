using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// Everything of PG-SAM after the SAM image encoder's neck (Lora.py / net_injector.py /
/// mask_decoder.py of logan-0623/PG-SAM at 01b0005), prompt-free:
/// <list type="number">
/// <item>prior aligner: similarity s (B×g²) from the CLIP image and text features, guide matrix
/// G (B×D×g×g) from the neck output F and s (see <see cref="PriorAligner"/>);</item>
/// <item>fusion: E ← E + 0.1 · AdaptiveFeatureFusion(E, MultiScaleCrossAttention(E, G)), E = F;</item>
/// <item>decoder: no points, no boxes, the no-mask embedding as dense prompt; PG-SAM's mask
/// decoder with the guide added at the 4× grid and the iterative mask optimizer.</item>
/// </list>
/// Parameter names are the reference's state_dict keys (<c>sim_proj.*</c>, <c>cross_attn.*</c>,
/// <c>feature_fusion.*</c>, <c>prompt_encoder.*</c>, <c>mask_decoder.*</c>); switched-off parts
/// (<see cref="PgSamConfig.Prior"/>, <see cref="PgSamConfig.Fusion"/>) have no parameters.
/// </summary>
public sealed class PgSamHead : nn.Module
{
    readonly Linear? sim_proj;
    readonly MultiScaleCrossAttention? cross_attn;
    readonly AdaptiveFeatureFusion? feature_fusion;
    readonly PromptEncoder prompt_encoder;
    readonly PgSamMaskDecoder mask_decoder;

    /// <summary>Weight of the fused features added to the image embedding (the reference's 0.1).</summary>
    public const double FusionScale = 0.1;

    public PgSamConfig Config { get; }
    public PromptEncoder PromptEncoder => prompt_encoder;
    public PgSamMaskDecoder MaskDecoder => mask_decoder;

    public PgSamHead(PgSamConfig config) : base(nameof(PgSamHead))
    {
        config.Validate();
        Config = config;
        long d = config.Dim, g = config.GridSize;
        if (config.Prior) sim_proj = nn.Linear(config.ClipDim, g * g);
        if (config.UsesFusion)
        {
            cross_attn = new MultiScaleCrossAttention(d, config.NumHeads, config.FusionDepth);
            feature_fusion = new AdaptiveFeatureFusion(d);
        }
        prompt_encoder = new PromptEncoder(d, (g, g), (config.InputSize, config.InputSize), config.MaskInChans);
        var transformer = new TwoWayTransformer(config.Depth, d, config.NumHeads, config.MlpDim, crossAttentionFirst: true);
        mask_decoder = new PgSamMaskDecoder(d, transformer, config.NumClasses, config.RefineIterations, useGuide: config.Prior);
        RegisterComponents();
        eval();
    }

    /// <summary>
    /// neck: B×D×g×g (the SAM neck output); clipImage, clipText: B×K CLIP features of each slice
    /// and its text (required with the prior, ignored without). With <paramref name="multimaskOutput"/>
    /// the masks are tokens 1.. (the classes, background first; the reference's setting), else token 0.
    /// </summary>
    public PgSamOutput forward(Tensor neck, Tensor? clipImage, Tensor? clipText, bool multimaskOutput = true)
    {
        long d = Config.Dim, g = Config.GridSize;
        if (neck.dim() != 4 || neck.shape[1] != d || neck.shape[2] != g || neck.shape[3] != g)
            throw new ArgumentException($"neck output must be B×{d}×{g}×{g}, got {Shapes.Format(neck.shape)}");
        long b = neck.shape[0];
        if (sim_proj is not null)
        {
            if (clipImage is null || clipText is null) throw new ArgumentException("the prior aligner needs the CLIP image and text features");
            foreach (var (t, what) in new[] { (clipImage, "CLIP image features"), (clipText, "CLIP text features") })
                if (t.dim() != 2 || t.shape[0] != b || t.shape[1] != Config.ClipDim)
                    throw new ArgumentException($"{what} must be {b}×{Config.ClipDim}, got {Shapes.Format(t.shape)}");
        }

        using var scope = NewDisposeScope();
        Tensor? similarity = null, guide = null;
        var embedding = neck.alias();
        if (sim_proj is not null)
        {
            similarity = PriorAligner.Similarity(clipImage!, clipText!, sim_proj);
            guide = PriorAligner.Guide(neck, similarity);
            if (cross_attn is not null && feature_fusion is not null)
            {
                var enhanced = feature_fusion.forward(neck, cross_attn.forward(neck, guide));
                embedding = neck.Plus(enhanced.Times(FusionScale));
            }
        }

        var (sparse, dense) = prompt_encoder.forward(null, null, null, null);
        using var decoded = mask_decoder.forward(embedding, prompt_encoder.GetDensePe(), sparse, dense, guide);
        var selected = multimaskOutput ? (1..) : (0..1);
        var masks = decoded.Masks[.., selected];
        var coarse = decoded.CoarseMasks[.., selected];
        var iou = decoded.Iou[.., selected];
        return new PgSamOutput(similarity?.MoveToOuterDisposeScope(), guide?.MoveToOuterDisposeScope(), embedding.MoveToOuterDisposeScope(),
            masks.MoveToOuterDisposeScope(), coarse.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope());
    }

    /// <summary><see cref="forward"/> for inference: evaluation mode, no autograd.</summary>
    public PgSamOutput Predict(Tensor neck, Tensor? clipImage, Tensor? clipText, bool multimaskOutput = true)
    {
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            return forward(neck, clipImage, clipText, multimaskOutput);
        }
        finally
        {
            if (wasTraining) train();
        }
    }
}
