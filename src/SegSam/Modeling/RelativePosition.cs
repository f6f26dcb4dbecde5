using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Decomposed relative positional bias of MViTv2 as the SAM image encoder uses it: one table per
/// axis, looked up by query–key offset, contracted with the queries and added to the logits.
/// </summary>
internal static class RelativePosition
{
    /// <summary>
    /// Table rows for every (query, key) offset along one axis, q_size × k_size × C. A table of
    /// another length is first resized linearly (align_corners = false), as the reference does.
    /// </summary>
    public static Tensor GetRelPos(long qSize, long kSize, Tensor relPos)
    {
        using var scope = NewDisposeScope();
        long maxRelDist = 2 * Math.Max(qSize, kSize) - 1;
        Tensor resized = relPos;
        if (relPos.shape[0] != maxRelDist)
        {
            using var asSignal = relPos.reshape(1, relPos.shape[0], -1).permute(0, 2, 1);
            resized = nn.functional.interpolate(asSignal, size: [maxRelDist], mode: InterpolationMode.Linear)
                .reshape(-1, maxRelDist).permute(1, 0);
        }
        // Offsets are scaled when the query and key grids differ in length (reference get_rel_pos).
        double qScale = Math.Max((double)kSize / qSize, 1.0);
        double kScale = Math.Max((double)qSize / kSize, 1.0);
        var qCoords = SafeMath.Range(qSize, ScalarType.Float64).unsqueeze(1).Times(qScale);
        var kCoords = SafeMath.Range(kSize, ScalarType.Float64).unsqueeze(0).Times(kScale);
        var relative = (qCoords - kCoords).Plus((kSize - 1) * kScale).to(ScalarType.Int64);
        return resized[relative].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The bias to add to attention logits for queries q ((B·heads)×(qh·qw)×C):
    /// a (B·heads)×(qh·qw)×(kh·kw) tensor.
    /// </summary>
    public static Tensor DecomposedBias(Tensor q, Tensor relPosH, Tensor relPosW, (long H, long W) qSize, (long H, long W) kSize)
    {
        using var scope = NewDisposeScope();
        var (relH, relW) = DecomposedTerms(q, relPosH, relPosW, qSize, kSize);
        return SumTerms(relH, relW).reshape(q.shape[0], qSize.H * qSize.W, kSize.H * kSize.W).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The two factors of <see cref="DecomposedBias"/> before they are summed (reference
    /// add_decomposed_rel_pos: rel_h, rel_w): queries q ((B·heads)×(qh·qw)×C) contracted with the
    /// per-axis tables, (B·heads)×qh×qw×kh and (B·heads)×qh×qw×kw, contiguous. They are
    /// kh + kw values per query where the bias holds kh·kw, so a caller that attends over the
    /// queries in chunks can build the bias chunk by chunk (<see cref="SumTerms"/>).
    /// </summary>
    public static (Tensor RelH, Tensor RelW) DecomposedTerms(Tensor q, Tensor relPosH, Tensor relPosW, (long H, long W) qSize, (long H, long W) kSize)
    {
        using var scope = NewDisposeScope();
        var rh = GetRelPos(qSize.H, kSize.H, relPosH);
        var rw = GetRelPos(qSize.W, kSize.W, relPosW);
        long b = q.shape[0], dim = q.shape[2];
        var rq = q.reshape(b, qSize.H, qSize.W, dim);
        var relH = einsum("bhwc,hkc->bhwk", rq, rh).contiguous();
        var relW = einsum("bhwc,wkc->bhwk", rq, rw).contiguous();
        return (relH.MoveToOuterDisposeScope(), relW.MoveToOuterDisposeScope());
    }

    /// <summary>rel_h[..., None] + rel_w[..., None, :]: B×rows×qw×kh×kw from B×rows×qw×kh and B×rows×qw×kw.</summary>
    public static Tensor SumTerms(Tensor relH, Tensor relW) => relH.unsqueeze(4).Plus(relW.unsqueeze(3));
}
