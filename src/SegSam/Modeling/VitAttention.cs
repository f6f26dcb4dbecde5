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
    // A Linear, or the LoraQkvLinear that replaces it under the same name (AddLora).
    nn.Module<Tensor, Tensor> qkv;
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
        return proj.forward(Attend(qkv.forward(x))).MoveToOuterDisposeScope();
    }

    /// <summary>The q/k/v projection of B×H×W×C tokens: B×H×W×3C.</summary>
    public Tensor ProjectQkv(Tensor x) => qkv.forward(x);

    /// <summary>
    /// What <see cref="ProjectQkv"/> gives for a zero token (the padding of a window): the
    /// bias, or zeros without one. 3C values.
    /// </summary>
    public Tensor ZeroTokenQkv()
    {
        // LoRA adds B·A·x, which is zero for a zero token, so the bias alone is still exact.
        var (weight, bias) = qkv switch
        {
            Linear l => (l.weight!, l.bias),
            LoraQkvLinear l => (l.Weight, l.Bias),
            _ => throw new InvalidOperationException($"unexpected qkv module {qkv.GetType().Name}"),
        };
        return bias is { } b ? b.detach() : zeros(weight.shape[0], device: weight.device);
    }

    /// <summary>The LoRA wrapper of the qkv projection, or null while it is a plain Linear.</summary>
    public LoraQkvLinear? Lora => qkv as LoraQkvLinear;

    /// <summary>
    /// Replaces the qkv Linear by a <see cref="LoraQkvLinear"/> around its (now frozen) weights,
    /// registered under the same name so the weights keep their state_dict names.
    /// </summary>
    public LoraQkvLinear AddLora(int rank, double? alpha = null)
    {
        var lora = LoraQkvLinear.Wrap(this, "qkv", qkv, rank, alpha);
        qkv = lora;
        return lora;
    }

    /// <summary>The output projection, B×H×W×C → B×H×W×C.</summary>
    public Tensor ProjectOutput(Tensor x) => proj.forward(x);

    /// <summary>
    /// Multi-head attention from projected q/k/v (B×H×W×3C) to the per-token mix of values
    /// (B×H×W×C), before the output projection.
    /// </summary>
    public Tensor Attend(Tensor qkvGrid)
    {
        using var scope = NewDisposeScope();
        long b = qkvGrid.shape[0], h = qkvGrid.shape[1], w = qkvGrid.shape[2], n = h * w;
        // 3 × B × heads × N × head_dim
        var qkvHeads = qkvGrid.reshape(b, n, 3, numHeads, -1).permute(2, 0, 3, 1, 4);
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
        return attended.view(b, numHeads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1).MoveToOuterDisposeScope();
    }
}
