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
    readonly long scoreBlockBytes;

    /// <summary>
    /// The default bound on the relative-position bias (one float per head, query and key) that
    /// <see cref="Attend"/> materialises at once: 64 MiB. At 1024 input ViT-B's global blocks
    /// (4,096 tokens, 12 heads) would otherwise build a 768 MB bias; with this bound they attend
    /// five query rows (320 queries) at a time, which on a 2-core AMD EPYC ran a global block's
    /// attention ~3× faster than the whole bias (1.0 s against 3.0 s, one thread), no slower
    /// than 8–32 MiB chunks; the windowed blocks' bias (25 windows × 12 heads × 196², 46 MB)
    /// stays whole, which was faster there than two chunks.
    /// </summary>
    public const long DefaultScoreBlockBytes = 64L << 20;

    /// <param name="inputSize">Token grid the relative tables are sized for (2·size − 1 rows).</param>
    /// <param name="scoreBlockBytes">Bound on the bias block of <see cref="Attend"/>; see <see cref="DefaultScoreBlockBytes"/>.</param>
    public VitAttention(long dim, long numHeads, bool qkvBias, bool useRelPos, (long H, long W) inputSize,
                        long scoreBlockBytes = DefaultScoreBlockBytes) : base(nameof(VitAttention))
    {
        if (scoreBlockBytes < 1) throw new ArgumentOutOfRangeException(nameof(scoreBlockBytes), "the score block bound must be positive");
        this.numHeads = numHeads;
        this.scoreBlockBytes = scoreBlockBytes;
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
    /// (B×H×W×C), before the output projection. With relative positions the reference adds a
    /// (B·heads)×N×N bias to the logits (add_decomposed_rel_pos); when that bias would exceed the
    /// score-block bound and no gradient is needed, the queries are taken a few grid rows at a
    /// time (<see cref="QueryRowsPerChunk"/>), each chunk's bias built in one reused buffer from
    /// the per-row terms, so the whole bias never exists. Each query's softmax row is unchanged,
    /// so chunking gives the same output. Under autograd the whole bias is built, as the reference does.
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
        if (rel_pos_h is null || rel_pos_w is null)
        {
            // Fused attention never materialises the N×N logits without a bias.
            return MergeHeads(nn.functional.scaled_dot_product_attention(q, k, v), h, w).MoveToOuterDisposeScope();
        }
        using var qFlat = q.reshape(b * numHeads, n, -1);
        var (relH, relW) = RelativePosition.DecomposedTerms(qFlat, rel_pos_h, rel_pos_w, (h, w), (h, w));
        long rows = QueryRowsPerChunk(b * numHeads, h, w, n, relH.element_size(), scoreBlockBytes);
        if (rows >= h || relH.requires_grad || relW.requires_grad)
        {
            var bias = RelativePosition.SumTerms(relH, relW).view(b, numHeads, n, n);
            // Fused attention: softmax(q·kᵀ/√d + bias)·v, the reference's computation in one kernel.
            return MergeHeads(nn.functional.scaled_dot_product_attention(q, k, v, bias), h, w).MoveToOuterDisposeScope();
        }
        return ChunkedAttend(q, k, v, relH, relW, rows).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Grid rows of queries per chunk so that a chunk's bias ((B·heads)×rows·W×N floats of
    /// <paramref name="elementBytes"/>) stays within <paramref name="budgetBytes"/>: at least 1,
    /// at most H (H means one chunk, the plain path).
    /// </summary>
    public static long QueryRowsPerChunk(long batchHeads, long h, long w, long keys, long elementBytes, long budgetBytes)
    {
        double rowBytes = (double)batchHeads * w * keys * elementBytes;
        return Math.Clamp((long)Math.Floor(budgetBytes / rowBytes), 1, h);
    }

    /// <summary>
    /// <see cref="Attend"/> a chunk of query rows at a time: q, k, v B×heads×N×d, relH/relW the
    /// decomposed terms (B·heads)×H×W×kh and ×kw. Returns B×H×W×(heads·d).
    /// </summary>
    Tensor ChunkedAttend(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW, long rows)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], heads = q.shape[1], n = q.shape[2], d = v.shape[3];
        long bh = relH.shape[0], h = relH.shape[1], w = relH.shape[2], kh = relH.shape[3], kw = relW.shape[3];
        if (bh != b * heads || relW.shape[1] != h || relW.shape[2] != w || h * w != n || kh * kw != k.shape[2])
            throw new ArgumentException($"relative-position terms {Shapes.Format(relH.shape)} and {Shapes.Format(relW.shape)} do not fit q {Shapes.Format(q.shape)} and k {Shapes.Format(k.shape)}");
        // Token-major output, so the chunks land where MergeHeads would put them.
        var output = empty([b, n, heads, d], q.dtype, q.device);
        var buffer = empty([bh, rows, w, kh, kw], relH.dtype, relH.device);
        for (long r0 = 0; r0 < h; r0 += rows)
        {
            using var chunkScope = NewDisposeScope();
            long r = Math.Min(rows, h - r0), start = r0 * w, m = r * w;
            var bias = buffer.narrow(1, 0, r);
            bias.copy_(relH.narrow(1, r0, r).unsqueeze(4));
            bias.PlusInPlace(relW.narrow(1, r0, r).unsqueeze(3));
            var attended = nn.functional.scaled_dot_product_attention(
                q.narrow(2, start, m), k, v, bias.view(b, heads, m, k.shape[2]));
            output.narrow(1, start, m).copy_(attended.transpose(1, 2));
        }
        return output.view(b, h, w, heads * d).MoveToOuterDisposeScope();
    }

    /// <summary>B×heads×N×d → B×H×W×(heads·d).</summary>
    Tensor MergeHeads(Tensor attended, long h, long w)
    {
        long b = attended.shape[0];
        return attended.view(b, numHeads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1);
    }
}
