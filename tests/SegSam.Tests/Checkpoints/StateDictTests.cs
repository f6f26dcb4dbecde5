using SegSam.Checkpoints;
using TorchSharp;

namespace SegSam.Tests.Checkpoints;

public sealed class StateDictTests
{
    [Fact]
    public void KeepsInsertionOrderAndOwnsTensors()
    {
        var a = torch.zeros(1);
        var b = torch.ones(2);
        var c = torch.ones(3);
        var sd = new StateDict { { "z", a }, { "a", b }, { "m", c } };
        Assert.Equal(new[] { "z", "a", "m" }, sd.Keys);
        Assert.Equal(3, sd.Count);
        Assert.Same(b, sd["a"]);
        Assert.True(sd.TryGet("m", out var m) && ReferenceEquals(m, c));
        Assert.False(sd.TryGet("nope", out _));
        Assert.Throws<KeyNotFoundException>(() => sd["nope"]);
        Assert.Throws<ArgumentException>(() => sd.Add("z", torch.zeros(1)));

        Assert.True(sd.Remove("a"));
        Assert.True(b.IsInvalid);
        Assert.True(sd.Remove("m", dispose: false));
        Assert.False(c.IsInvalid);
        Assert.False(sd.Remove("a"));
        Assert.Equal(new[] { "z" }, sd.Select(kv => kv.Key));

        sd.Dispose();
        Assert.True(a.IsInvalid);
        c.Dispose();
    }
}
