namespace SegSam.Modeling;

/// <summary>
/// A lower bound on the parameters a config builds: the weight matrices every such module has
/// (biases, norms, token embeddings and small heads left out), in double so that absurd sizes cannot
/// overflow. A checkpoint that stores fewer values than its config's floor cannot be that model,
/// so loaders refuse it before building (and allocating) anything; configs whose floor is beyond
/// <see cref="MaxParameters"/> are refused outright.
/// </summary>
public static class ParameterFloor
{
    /// <summary>
    /// 4 × 10⁹ parameters (16 GB in float32): six times SAM ViT-H's 636 M, the largest released SAM
    /// (Kirillov et al., 2023), and more than this CPU build can hold with optimiser state.
    /// </summary>
    public const double MaxParameters = 4e9;

    /// <summary>SAM's ViT: patch embedding, absolute positions, q/k/v, projection and MLP of every block, and the neck.</summary>
    public static double ImageEncoder(ImageEncoderConfig e)
    {
        double dim = e.EmbedDim, grid = (double)e.ImgSize / Math.Max(1, e.PatchSize);
        double hidden = Math.Floor(dim * e.MlpRatio);
        double blocks = e.Depth * (4 * dim * dim + 2 * dim * hidden);
        double patch = dim * e.InChans * (double)e.PatchSize * e.PatchSize;
        double positions = e.UseAbsPos ? grid * grid * dim : 0;
        double neck = e.OutChans * dim + 9.0 * e.OutChans * e.OutChans;
        return blocks + patch + positions + neck;
    }

    /// <summary>SAM's two-way transformer: per layer self-attention, two cross-attentions at half width and the MLP; then the final attention.</summary>
    public static double TwoWayTransformer(int depth, int dim, int mlpDim)
    {
        double d = dim;
        return depth * (4 * d * d + 2 * (4 * d * d / 2) + 2 * d * mlpDim) + 4 * d * d / 2;
    }

    /// <summary>SAM's mask decoder: its transformer, one hypernetwork MLP per mask token and the IoU head.</summary>
    public static double MaskDecoder(MaskDecoderConfig m, int dim)
    {
        double d = dim, tokens = m.NumMultimaskOutputs + 1.0, hidden = m.IouHeadHiddenDim;
        double hypernetworks = tokens * (2 * d * d + d * d / 8);
        double iouHead = d * hidden + Math.Max(0, m.IouHeadDepth - 2) * hidden * hidden + hidden * tokens;
        return TwoWayTransformer(m.TransformerDepth, dim, m.TransformerMlpDim) + hypernetworks + iouHead;
    }

    /// <summary>SAM's prompt encoder's mask downscaling convolutions (2×2, 2×2, 1×1).</summary>
    public static double PromptEncoder(int dim, int maskInChans)
    {
        double c = maskInChans;
        return c / 4 * 4 + c * (c / 4) * 4 + c * dim;
    }

    /// <summary>The whole of SAM: image encoder, prompt encoder and mask decoder.</summary>
    public static double Sam(SamConfig s) =>
        ImageEncoder(s.ImageEncoder) + PromptEncoder(s.PromptEncoder.EmbedDim, s.PromptEncoder.MaskInChans)
        + MaskDecoder(s.MaskDecoder, s.PromptEncoder.EmbedDim);

    /// <summary>SEG-SAM: SAM, the semantic-aware decoder's transformer and mask MLP, the text enhancer's descriptions and projection, and the class head.</summary>
    public static double SegSam(SegSamConfig c)
    {
        int dim = c.Sam.PromptEncoder.EmbedDim;
        double d = dim, classes = c.Categories.Length;
        double semantic = c.SemanticDecoder.Enabled
            ? TwoWayTransformer(c.SemanticDecoder.TransformerDepth, dim, c.SemanticDecoder.TransformerMlpDim) + 2 * d * d
            : 0;
        double text = c.TextEnhancer.Enabled ? classes * c.TextEnhancer.TextDim + (double)c.TextEnhancer.TextDim * d + 4 * d * d : 0;
        double classHead = c.IsSemantic ? classes * d : 0;
        return Sam(c.Sam) + semantic + text + classHead;
    }

    /// <summary>The PG-SAM head: its two-way transformer, prompt encoder, fusion layers (packed q/k/v and a 4× MLP each) and class tokens.</summary>
    public static double PgSamHead(PgSam.PgSamConfig h)
    {
        double d = h.Dim;
        double fusion = h.UsesFusion ? h.FusionDepth * 11 * d * d : 0;
        return TwoWayTransformer(h.Depth, h.Dim, h.MlpDim) + PromptEncoder(h.Dim, h.MaskInChans) + fusion + (h.NumClasses + 1.0) * d;
    }

    /// <summary>A whole PG-SAM model: the image encoder and the head.</summary>
    public static double PgSamModel(PgSam.PgSamModelConfig c) => ImageEncoder(c.ImageEncoder) + PgSamHead(c.Head);
}
