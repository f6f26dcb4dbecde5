using SegSam;
using SegSam.Tests.Support;
using SegSam.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary>Our Adam/AdamW against PyTorch's torch.optim on the same parameters and gradients.</summary>
public class AdamOptimizerTests
{
    [Theory]
    [InlineData("adam", 0.0)]
    [InlineData("adam", 0.1)]
    [InlineData("adamw", 0.1)]
    public void MatchesPyTorch(string kind, double weightDecay)
    {
        var r = Python.Run($$"""
            import torch, json
            torch.manual_seed(0)
            p = torch.nn.Parameter(torch.randn(4, 3))
            start = p.detach().clone()
            grads = [torch.randn(4, 3) for _ in range(3)]
            opt = (torch.optim.AdamW if "{{kind}}" == "adamw" else torch.optim.Adam)([p], lr=0.01, weight_decay={{weightDecay.ToString(System.Globalization.CultureInfo.InvariantCulture)}})
            for g in grads:
                opt.zero_grad(); p.grad = g.clone(); opt.step()
            print(json.dumps({"start": start.flatten().tolist(), "grads": [g.flatten().tolist() for g in grads], "end": p.detach().flatten().tolist()}))
            """);
        using var doc = System.Text.Json.JsonDocument.Parse(r.StdOut);
        float[] Floats(System.Text.Json.JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var param = new Parameter(tensor(Floats(doc.RootElement.GetProperty("start")), [4, 3]));
        using var optimizer = new AdamOptimizer([("w", param)], 0.01, weightDecay, decoupledWeightDecay: kind == "adamw");
        foreach (var g in doc.RootElement.GetProperty("grads").EnumerateArray())
        {
            param.grad = tensor(Floats(g), [4, 3]);
            optimizer.StepOnce();
        }
        var expected = Floats(doc.RootElement.GetProperty("end"));
        var actual = param.detach().data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"{i}: {actual[i]} vs PyTorch {expected[i]}");
        Assert.Equal(3, optimizer.Step);
    }

    [Fact]
    public void StateRoundTripsThroughSafetensors()
    {
        using var dir = new TempDir();
        var p = new Parameter(ones(2, 2));
        using var a = new AdamOptimizer([("p", p)], 0.1);
        p.grad = SafeMath.Full([2, 2], 0.5, ScalarType.Float32);
        a.StepOnce();
        a.Save(dir.File("opt.safetensors"));
        var q = new Parameter(p.detach().clone());
        using var b = new AdamOptimizer([("p", q)], 0.1);
        b.Load(dir.File("opt.safetensors"));
        Assert.Equal(1, b.Step);
        p.grad = SafeMath.Full([2, 2], -0.25, ScalarType.Float32);
        q.grad = SafeMath.Full([2, 2], -0.25, ScalarType.Float32);
        a.StepOnce();
        b.StepOnce();
        Assert.True(p.equal(q).all().item<bool>());
        using var c = new AdamOptimizer([("other", new Parameter(ones(2, 2)))], 0.1);
        Assert.Throws<InvalidDataException>(() => c.Load(dir.File("opt.safetensors")));
    }

    [Fact]
    public void NonFiniteGradientsAreDetected()
    {
        var p = new Parameter(ones(2, 2));
        var q = new Parameter(ones(3));
        using var optimizer = new AdamOptimizer([("p", p), ("q", q)], 0.1);
        Assert.True(optimizer.GradientsAreFinite()); // no gradients at all
        p.grad = SafeMath.Full([2, 2], 0.5, ScalarType.Float32);
        Assert.True(optimizer.GradientsAreFinite()); // q has none: skipped, as StepOnce skips it
        q.grad = tensor(new[] { 1f, float.NaN, 0f });
        Assert.False(optimizer.GradientsAreFinite());
        q.grad = tensor(new[] { 1f, float.PositiveInfinity, 0f });
        Assert.False(optimizer.GradientsAreFinite());
        q.grad = tensor(new[] { 1f, -2f, 0f });
        Assert.True(optimizer.GradientsAreFinite());
    }
}
