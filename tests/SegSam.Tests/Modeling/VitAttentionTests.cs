using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// The encoder attention taken a few query rows at a time (the relative-position bias built per
/// chunk) against the whole bias at once, the reference add_decomposed_rel_pos.
/// </summary>
public class VitAttentionTests
{
    const long Dim = 32, Heads = 2, H = 7, W = 5;

    // A 7×5 grid (h ≠ w catches swapped axes) attended three rows at a time: chunks of 3, 3, 1 rows.
    static readonly long ChunkBytes = 3 * 2 * Heads * W * (H * W) * sizeof(float);

    static (VitAttention Whole, VitAttention Chunked) Pair()
    {
        manual_seed(11);
        var whole = new VitAttention(Dim, Heads, qkvBias: true, useRelPos: true, (H, W));
        var chunked = new VitAttention(Dim, Heads, qkvBias: true, useRelPos: true, (H, W), scoreBlockBytes: ChunkBytes);
        using (no_grad())
        {
            // The relative tables start at zero; random ones make a misplaced bias row visible.
            foreach (var p in whole.parameters()) p.normal_(0, 0.5);
        }
        chunked.load_state_dict(whole.state_dict());
        return (whole, chunked);
    }

    [Fact]
    public void ChunkSizeFollowsTheBound()
    {
        Assert.Equal(3, VitAttention.QueryRowsPerChunk(2 * Heads, H, W, H * W, sizeof(float), ChunkBytes));
        Assert.Equal(1, VitAttention.QueryRowsPerChunk(2 * Heads, H, W, H * W, sizeof(float), 1));
        Assert.Equal(H, VitAttention.QueryRowsPerChunk(2 * Heads, H, W, H * W, sizeof(float), VitAttention.DefaultScoreBlockBytes));
        // ViT-B's global blocks at 1024 input: 12 heads over 64×64 tokens, five rows per chunk.
        Assert.Equal(5, VitAttention.QueryRowsPerChunk(12, 64, 64, 4096, sizeof(float), VitAttention.DefaultScoreBlockBytes));
    }

    [Fact]
    public void ChunkedQueriesGiveTheWholeBiasResult()
    {
        var (whole, chunked) = Pair();
        using (whole)
        using (chunked)
        using (inference_mode())
        {
            using var scope = NewDisposeScope();
            var qkv = randn(2, H, W, 3 * Dim);
            var expected = whole.Attend(qkv);
            var actual = chunked.Attend(qkv);
            Assert.Equal(new long[] { 2, H, W, Dim }, actual.shape);
            double worst = (expected - actual).abs().max().item<float>();
            Assert.True(worst <= 1e-6, $"chunked attention differs by {worst}");
            // The reference's computation written out: softmax(q·kᵀ/√d + rel_h + rel_w)·v.
            Assert.True(Reference(whole, qkv).allclose(actual, rtol: 0, atol: 1e-5), "chunked attention differs from the reference formula");
        }
    }

    [Fact]
    public void UnderAutogradTheWholeBiasIsBuiltAndGradientsMatch()
    {
        var (whole, chunked) = Pair();
        using (whole)
        using (chunked)
        {
            using var scope = NewDisposeScope();
            var x = randn(2, H, W, Dim);
            whole.forward(x).square().sum().backward();
            chunked.forward(x).square().sum().backward();
            var expected = whole.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
            foreach (var (name, p) in chunked.named_parameters())
            {
                Assert.NotNull(p.grad);
                Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name} has no gradient");
                Assert.True(expected[name].allclose(p.grad, rtol: 1e-5, atol: 1e-6), $"{name} gradient differs");
            }
        }
    }

    /// <summary>The reference Attention.forward after qkv: explicit logits, decomposed bias, softmax.</summary>
    static Tensor Reference(VitAttention attention, Tensor qkvGrid)
    {
        using var scope = NewDisposeScope();
        long b = qkvGrid.shape[0], n = H * W, d = Dim / Heads;
        var qkv = qkvGrid.reshape(b, n, 3, Heads, d).permute(2, 0, 3, 1, 4).reshape(3, b * Heads, n, d);
        var parameters = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var logits = qkv[0].Times(1.0 / Math.Sqrt(d)).matmul(qkv[1].transpose(-2, -1));
        logits = logits.Plus(RelativePosition.DecomposedBias(qkv[0], parameters["rel_pos_h"], parameters["rel_pos_w"], (H, W), (H, W)));
        var mixed = logits.softmax(-1).matmul(qkv[2]);
        return mixed.view(b, Heads, H, W, d).permute(0, 2, 3, 1, 4).reshape(b, H, W, Dim).MoveToOuterDisposeScope();
    }
}
