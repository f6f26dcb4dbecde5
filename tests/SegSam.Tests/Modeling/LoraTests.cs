using SegSam.Checkpoints;
using SegSam.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// LoRA on a separate projection (<see cref="LoraLinear"/>), on SAM's fused qkv
/// (<see cref="LoraQkvLinear"/>) and over a whole image encoder (<see cref="ImageEncoderLora"/>):
/// identity at initialisation, the update against hand arithmetic, what trains, merging.
/// </summary>
public class LoraTests
{
    // A 32×32 input, 4-pixel patches: an 8×8 grid; windows of 3 pad it to 9×9, so the windowed
    // blocks exercise the zero-token (bias-only) padding path as well as global attention.
    static ImageEncoderConfig TinyEncoder => new()
    {
        ImgSize = 32, PatchSize = 4, EmbedDim = 16, Depth = 3, NumHeads = 2, OutChans = 8,
        WindowSize = 3, GlobalAttnIndexes = [1],
    };

    static Linear LinearWith(float[,] w, float[] b)
    {
        var linear = nn.Linear(w.GetLength(1), w.GetLength(0));
        using (no_grad())
        {
            linear.weight!.copy_(tensor(w));
            linear.bias!.copy_(tensor(b));
        }
        return linear;
    }

    static void Set(nn.Module module, string name, float[,] value)
    {
        using var _ = no_grad();
        Param(module, name).copy_(tensor(value));
    }

    static Parameter Param(nn.Module module, string name) =>
        module.get_parameter(name) ?? throw new KeyNotFoundException($"no parameter {name}");

    static float[] Values(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var delta = a.sub(b);
        using var diff = delta.abs().max();
        return diff.item<float>();
    }

    [Fact]
    public void LoraLinearStartsAsTheFrozenLayerAndKeepsItsNames()
    {
        manual_seed(11);
        var linear = nn.Linear(6, 5);
        using var x = randn(4, 3, 6);
        using var expected = linear.forward(x).detach();
        using var lora = new LoraLinear(linear, rank: 2, alpha: 8);
        using var actual = lora.forward(x);
        Assert.Equal(Values(expected), Values(actual)); // B = 0: exactly the frozen output
        Assert.Equal(["bias", "linear_a.weight", "linear_b.weight", "weight"], lora.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4.0, lora.Scale);
        // A: kaiming-uniform(a = √5) over fan-in 6 → U(−1/√6, 1/√6), and not all zero.
        var a = Values(Param(lora, "linear_a.weight"));
        Assert.All(a, v => Assert.InRange(v, -1 / Math.Sqrt(6), 1 / Math.Sqrt(6)));
        Assert.Contains(a, v => v != 0);
        Assert.All(Values(Param(lora, "linear_b.weight")), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LoraLinearAddsTheScaledLowRankProduct()
    {
        // W (3×2), b, rank 1 with alpha 2 → scale 2; A = [1 −1], B = [2; 0; −1].
        // scale·B·A = 2·[[2 −2]; [0 0]; [−1 1]] = [[4 −4]; [0 0]; [−2 2]]
        // W + that = [[5 −2]; [3 4]; [3 8]].
        // x = (1, 2): y = (5 − 4, 3 + 8, 3 + 16) + (0.5, −1, 2) = (1.5, 10, 21).
        using var lora = new LoraLinear(LinearWith(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, [0.5f, -1, 2]), rank: 1, alpha: 2);
        Set(lora, "linear_a.weight", new float[,] { { 1, -1 } });
        Set(lora, "linear_b.weight", new float[,] { { 2 }, { 0 }, { -1 } });
        using var x = tensor(new float[] { 1, 2 }, [1, 2]);
        using var y = lora.forward(x);
        Assert.Equal([1.5f, 10f, 21f], Values(y));

        lora.Merge();
        using var merged = lora.forward(x);
        Assert.Equal([1.5f, 10f, 21f], Values(merged));
        Assert.Equal([5f, -2f, 3f, 4f, 3f, 8f], Values(Param(lora, "weight")));
        lora.Unmerge();
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], Values(Param(lora, "weight")));
    }

    [Fact]
    public void LoraLinearTrainsOnlyItsFactors()
    {
        manual_seed(12);
        using var lora = new LoraLinear(nn.Linear(8, 8), rank: 2);
        using (no_grad()) Param(lora, "linear_b.weight").normal_();
        using var x = randn(5, 8);
        using var loss = lora.forward(x).Pow(2).sum();
        loss.backward();
        var trainable = lora.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order(StringComparer.Ordinal);
        Assert.Equal(["linear_a.weight", "linear_b.weight"], trainable);
        foreach (var p in lora.LoraParameters())
        {
            using var grad = p.grad;
            Assert.NotNull(grad);
            Assert.True(MaxAbsDiff(grad!, zeros_like(grad!)) > 0);
        }
        Assert.Null(Param(lora, "weight").grad);
        Assert.Null(Param(lora, "bias").grad);
    }

    [Fact]
    public void FusedQkvUpdatesQAndVButNotK()
    {
        // C = 2: W rows 0-1 are q, 2-3 k, 4-5 v; no bias. Rank 1, alpha 1 → scale 1.
        // A_q = [1 1], B_q = [1; 2] → B_q·A_q·x = (3, 6) for x = (1, 2); A_v = [1 0], B_v = [−1; 1] → (−1, 1).
        // x·Wᵀ = (1·1+2·0, 1·0+2·1, 1, 2, 2, 4) for W = [I; I; 2I] = (1, 2, 1, 2, 2, 4).
        // q = (1+3, 2+6) = (4, 8); k = (1, 2); v = (2−1, 4+1) = (1, 5).
        var w = new float[,] { { 1, 0 }, { 0, 1 }, { 1, 0 }, { 0, 1 }, { 2, 0 }, { 0, 2 } };
        var linear = nn.Linear(2, 6, hasBias: false);
        using (no_grad()) linear.weight!.copy_(tensor(w));
        using var lora = new LoraQkvLinear(linear, rank: 1);
        Set(lora, "linear_a_q.weight", new float[,] { { 1, 1 } });
        Set(lora, "linear_b_q.weight", new float[,] { { 1 }, { 2 } });
        Set(lora, "linear_a_v.weight", new float[,] { { 1, 0 } });
        Set(lora, "linear_b_v.weight", new float[,] { { -1 }, { 1 } });
        using var x = tensor(new float[] { 1, 2 }, [1, 1, 1, 2]); // a B×H×W×C token grid, as in the encoder
        using var y = lora.forward(x);
        Assert.Equal([1L, 1, 1, 6], y.shape);
        Assert.Equal([4f, 8f, 1f, 2f, 1f, 5f], Values(y));
        lora.Merge();
        using var merged = lora.forward(x);
        Assert.Equal([4f, 8f, 1f, 2f, 1f, 5f], Values(merged));
        Assert.Throws<ArgumentException>(() => lora.forward(zeros(1, 3))); // checked before the matmul
        Assert.Throws<ArgumentException>(() => new LoraQkvLinear(nn.Linear(2, 5), rank: 1)); // not C → 3C
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoraQkvLinear(nn.Linear(2, 6), rank: 0));
    }

    [Fact]
    public void EncoderWithLoraStartsIdenticalAndLoadsPlainWeights()
    {
        manual_seed(13);
        using var plain = new ImageEncoderViT(TinyEncoder);
        using var source = new ImageEncoderViT(TinyEncoder); // other random weights, to load
        plain.eval();
        source.eval();
        using var x = rand(2, 3, 32, 32);
        using var _ = no_grad();
        using var before = plain.forward(x);
        using var sourceOut = source.forward(x);
        var plainKeys = plain.state_dict().Keys.ToHashSet();

        var loraParams = ImageEncoderLora.Apply(plain, rank: 4);
        using var after = plain.forward(x);
        Assert.Equal(Values(before), Values(after)); // B = 0: bit-identical

        // The reference names are all still there; LoRA only adds its four factors per block.
        var keys = plain.state_dict().Keys.ToHashSet();
        Assert.Subset(keys, plainKeys);
        var extra = keys.Except(plainKeys).Order(StringComparer.Ordinal).ToList();
        var expected = Enumerable.Range(0, 3)
            .SelectMany(i => new[] { "a_q", "a_v", "b_q", "b_v" }.Select(f => $"blocks.{i}.attn.qkv.linear_{f}.weight"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, extra);
        Assert.Equal(12, loraParams.Count);
        Assert.Equal(3 * 4 * 4 * 16, loraParams.Sum(p => p.numel())); // 4 factors of 4×16 or 16×4 per block

        // A plain checkpoint loads into the LoRA encoder (missing = the factors only) and, with
        // B = 0, reproduces the plain model it came from.
        var report = WeightLoader.Load(plain, source.state_dict(), "plain", strict: false);
        Assert.Equal(expected, report.Missing.Order(StringComparer.Ordinal));
        Assert.Empty(report.Unexpected);
        using var loaded = plain.forward(x);
        Assert.Equal(Values(sourceOut), Values(loaded));

        Assert.Throws<InvalidOperationException>(() => ImageEncoderLora.Apply(plain));
    }

    [Fact]
    public void EncoderTrainsOnlyLoraAndMergesToTheSameOutput()
    {
        manual_seed(14);
        using var encoder = new ImageEncoderViT(TinyEncoder);
        var loraParams = ImageEncoderLora.Apply(encoder, rank: 2, alpha: 3);
        // Non-zero B, so A receives gradient too and merging has something to fold.
        using (no_grad())
            foreach (var (name, p) in encoder.named_parameters().Where(p => p.name.Contains("linear_b_")))
                p.normal_(0, 0.05);
        encoder.train();
        using var x = rand(1, 3, 32, 32);

        var trainable = encoder.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        Assert.Equal(encoder.named_parameters().Where(p => p.name.Contains(".qkv.linear_")).Select(p => p.name).ToHashSet(), trainable);
        Assert.Equal(trainable.Count, loraParams.Count);
        Assert.Equal(ImageEncoderLora.Parameters(encoder).Count, loraParams.Count);

        using (var loss = encoder.forward(x).Pow(2).mean()) loss.backward();
        foreach (var (name, p) in encoder.named_parameters())
        {
            using var grad = p.grad;
            if (trainable.Contains(name))
            {
                Assert.NotNull(grad);
                Assert.True(MaxAbsDiff(grad!, zeros_like(grad!)) > 0, $"{name} got a zero gradient");
            }
            else
            {
                Assert.Null(grad);
            }
        }

        encoder.eval();
        using var noGrad = no_grad();
        using var unmerged = encoder.forward(x);
        var qkvBefore = Param(encoder, "blocks.0.attn.qkv.weight").clone();
        ImageEncoderLora.Merge(encoder);
        using var merged = encoder.forward(x);
        Assert.True(MaxAbsDiff(unmerged, merged) < 1e-5, $"merged output differs by {MaxAbsDiff(unmerged, merged)}");
        Assert.True(MaxAbsDiff(qkvBefore, Param(encoder, "blocks.0.attn.qkv.weight")) > 0);
        ImageEncoderLora.Unmerge(encoder);
        Assert.True(MaxAbsDiff(qkvBefore, Param(encoder, "blocks.0.attn.qkv.weight")) < 1e-6);
        qkvBefore.Dispose();
    }
}
