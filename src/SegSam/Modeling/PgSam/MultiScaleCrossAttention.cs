using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM's first fusion stage (MultiScaleCrossAttention in Lora.py of logan-0623/PG-SAM at
/// 01b0005): the image embedding E plus the guide G (resized to E's grid) and G itself become one
/// token sequence [E + G; G] of 2·hw tokens; each transformer-encoder layer runs on the sequence
/// with the current image tokens and keeps the first hw outputs; from the second layer on, a
/// Linear skip connection of the layer's input image tokens is added. B×D×h×w (×2) → B×D×h×w.
/// </summary>
public sealed class MultiScaleCrossAttention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly ModuleList<FusionEncoderLayer> layers;
    readonly ModuleList<Linear> skip_connections;

    public long Dim { get; }

    public MultiScaleCrossAttention(long dim, long numHeads, int numLayers = 2, double dropout = 0.1) : base(nameof(MultiScaleCrossAttention))
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), "the fusion needs at least one layer");
        Dim = dim;
        layers = new ModuleList<FusionEncoderLayer>();
        for (int i = 0; i < numLayers; i++) layers.Add(new FusionEncoderLayer(dim, numHeads, 4 * dim, dropout));
        skip_connections = new ModuleList<Linear>();
        for (int i = 0; i < numLayers - 1; i++) skip_connections.Add(nn.Linear(dim, dim));
        RegisterComponents();
    }

    /// <summary>image: B×D×h×w; guide: B×D×h'×w' (resized bilinearly to h×w when it differs).</summary>
    public override Tensor forward(Tensor image, Tensor guide)
    {
        if (image.dim() != 4 || image.shape[1] != Dim || guide.dim() != 4 || guide.shape[0] != image.shape[0] || guide.shape[1] != Dim)
            throw new ArgumentException($"fusion inputs must be B×{Dim}×h×w with one guide per image, got {Shapes.Format(image.shape)} and {Shapes.Format(guide.shape)}");
        using var scope = NewDisposeScope();
        long b = image.shape[0], h = image.shape[2], w = image.shape[3];
        var resized = guide.shape[2] == h && guide.shape[3] == w
            ? guide // bilinear resizing to the same size is the identity
            : nn.functional.interpolate(guide, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        var tokens = image.Plus(resized).flatten(2).transpose(1, 2); // B×hw×D
        var guideTokens = guide.flatten(2).transpose(1, 2);
        long n = tokens.shape[1]; // the guide's own tokens may come from another grid: only the first n outputs are kept
        for (int i = 0; i < layers.Count; i++)
        {
            var residual = tokens;
            tokens = layers[i].forward(cat([tokens, guideTokens], 1))[.., ..(int)n];
            if (i > 0) tokens = tokens.Plus(skip_connections[i - 1].forward(residual));
        }
        return tokens.transpose(1, 2).reshape(b, Dim, h, w).MoveToOuterDisposeScope();
    }
}
