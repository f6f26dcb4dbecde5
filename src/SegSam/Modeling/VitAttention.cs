using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Multi-head self-attention over a B×H×W×C token grid, with optional decomposed relative
/// position bias (the reference image_encoder.Attention).
/// </summary>
public sealed class VitAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly Parameter? rel_pos_h;
    readonly Parameter? rel_pos_w;
    readonly long numHeads;

    /// <param name="inputSize">Token grid the relative tables are sized for (2·size − 1 rows).</param>
    public VitAttention(long dim, long numHeads, bool qkvBias, bool useRelPos, (long H, long W) inputSize) : base(nameof(VitAttention))
    {
        this.numHeads = numHeads;
        long headDim = dim / numHeads;
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        if (useRelPos)
        {
            rel_pos_h = new Parameter(zeros(2 * inputSize.H - 1, headDim));
            rel_pos_w = new Parameter(zeros(2 * inputSize.W - 1, headDim));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], h = x.shape[1], w = x.shape[2], n = h * w;
        // 3 × B × heads × N × head_dim
        var qkvHeads = qkv.forward(x).reshape(b, n, 3, numHeads, -1).permute(2, 0, 3, 1, 4);
        var q = qkvHeads[0];
        var k = qkvHeads[1];
        var v = qkvHeads[2];
        Tensor? bias = null;
        if (rel_pos_h is not null && rel_pos_w is not null)
        {
            using var qFlat = q.reshape(b * numHeads, n, -1);
            bias = RelativePosition.DecomposedBias(qFlat, rel_pos_h, rel_pos_w, (h, w), (h, w)).view(b, numHeads, n, n);
        }
        // Fused attention: softmax(q·kᵀ/√d + bias)·v, the reference's computation in one kernel.
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, bias);
        var merged = attended.view(b, numHeads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1);
        return proj.forward(merged).MoveToOuterDisposeScope();
    }
}
