using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.PgSam;

/// <summary>
/// PG-SAM's fine-grained modality prior aligner (GuideMatrixGenerator in net_injector.py of
/// logan-0623/PG-SAM at 01b0005), after the CLIP and SAM encoders:
/// <list type="bullet">
/// <item>similarity s = (î·t̂) · sigmoid(W î + b) / 10 per grid position, î and t̂ the
/// L2-normalised CLIP image and text features (B×K), W: K → g² (the head's <c>sim_proj</c>);</item>
/// <item>guide = 0.5 (F + F A) · s with F the neck output (B×C×g²), A = softmax_m(F̂ᵀF̂ / √C)
/// and F̂ the channel-normalised F; then a LayerNorm over the channels of each position (no
/// affine) and a per-channel spatial standardisation (x − mean) / (std + 1e-6), std unbiased.</item>
/// </list>
/// Parameter-free apart from <c>sim_proj</c>, which the head owns under its reference name.
/// </summary>
public static class PriorAligner
{
    /// <summary>clipImage, clipText: B×K; simProj: K → g². Returns the similarity weights B×g².</summary>
    public static Tensor Similarity(Tensor clipImage, Tensor clipText, Linear simProj)
    {
        if (clipImage.dim() != 2 || !clipImage.shape.SequenceEqual(clipText.shape))
            throw new ArgumentException(
                $"CLIP image features {Shapes.Format(clipImage.shape)} and text features {Shapes.Format(clipText.shape)} must both be B×K");
        using var scope = NewDisposeScope();
        var image = nn.functional.normalize(clipImage, p: 2, dim: 1);
        var text = nn.functional.normalize(clipText, p: 2, dim: 1);
        var cosine = (image * text).sum(1, keepdim: true); // B×1
        var weights = simProj.forward(image.to(ScalarType.Float32)).sigmoid(); // B×g²
        return (cosine * weights).Over(10).MoveToOuterDisposeScope();
    }

    /// <summary>neck: B×C×h×w; similarity: B×hw. Returns the normalised guide matrix B×C×h×w.</summary>
    public static Tensor Guide(Tensor neck, Tensor similarity)
    {
        if (neck.dim() != 4) throw new ArgumentException($"neck output must be B×C×h×w, got {Shapes.Format(neck.shape)}");
        long b = neck.shape[0], c = neck.shape[1], h = neck.shape[2], w = neck.shape[3];
        if (similarity.dim() != 2 || similarity.shape[0] != b || similarity.shape[1] != h * w)
            throw new ArgumentException($"similarity {Shapes.Format(similarity.shape)} must be {b}×{h * w} for a neck output of {Shapes.Format(neck.shape)}");
        using var scope = NewDisposeScope();
        var flat = neck.reshape(b, c, h * w);
        var unit = nn.functional.normalize(flat, p: 2, dim: 1);
        var affinity = unit.transpose(1, 2).matmul(unit).Over(Math.Sqrt(c)).softmax(-1); // B×L×L, rows sum to 1
        var aggregated = flat.matmul(affinity); // Σ_l F[c,l] A[l,m]
        var guide = flat.Plus(aggregated).Times(0.5) * similarity.unsqueeze(1);
        return HierarchicalNorm(guide.view(b, c, h, w)).MoveToOuterDisposeScope();
    }

    /// <summary>Per-position LayerNorm over the channels, then per-channel standardisation over the grid.</summary>
    public static Tensor HierarchicalNorm(Tensor x)
    {
        using var scope = NewDisposeScope();
        var channelNormed = nn.functional.layer_norm(x.permute(0, 2, 3, 1), [x.shape[1]]).permute(0, 3, 1, 2);
        var mean = channelNormed.mean([2, 3], keepdim: true);
        var std = channelNormed.std([2, 3], unbiased: true, keepdim: true);
        return ((channelNormed - mean) / std.Plus(1e-6)).MoveToOuterDisposeScope();
    }
}
