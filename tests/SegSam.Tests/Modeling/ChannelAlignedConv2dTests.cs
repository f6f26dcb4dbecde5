using SegSam.Modeling;
using SegSam.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// ChannelAlignedConv2d is nn.Conv2d (parameters, names, initialisation, result) with the input
/// channels zero-padded for oneDNN, and stays finite where oneDNN's own padding reads stale NaN.
/// </summary>
[Collection(Serial.Name)] // switches oneDNN off for the reference, and leaves NaN in the heap
public class ChannelAlignedConv2dTests
{
    [Theory]
    [InlineData(17, 16, 3, 1, 1, true)]  // PG-SAM's mask optimizer at D = 128
    [InlineData(33, 32, 3, 1, 1, false)] // at D = 256
    [InlineData(24, 8, 2, 2, 0, true)]
    [InlineData(32, 16, 3, 1, 1, true)]  // already aligned: a plain conv2d
    public void EqualsConv2dWithTheSameSeed(int inChannels, int outChannels, int kernel, int stride, int padding, bool bias)
    {
        manual_seed(4);
        using var reference = nn.Conv2d(inChannels, outChannels, kernel_size: kernel, stride: stride, padding: padding, bias: bias);
        manual_seed(4);
        using var aligned = new ChannelAlignedConv2d(inChannels, outChannels, kernel, stride, padding, bias);
        Assert.Equal(inChannels + (16 - inChannels % 16) % 16, aligned.AlignedInChannels);

        var expected = reference.state_dict();
        var got = aligned.state_dict();
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        foreach (var (name, value) in expected)
            Assert.True(value.allclose(got[name], rtol: 0, atol: 0), $"{name} differs from nn.Conv2d's initialisation");

        manual_seed(5);
        using var x = randn(3, inChannels, 12, 12);
        using var noGrad = no_grad();
        Tensor want;
        using (OneDnn.Off()) want = reference.forward(x); // libtorch's own kernels: no padded weight copy
        using (want)
        {
            HeapPoison.Fill();
            using var y = aligned.forward(x);
            Assert.Equal(want.shape, y.shape);
            Assert.True(y.isfinite().all().item<bool>(), "non-finite outputs");
            Assert.True(y.allclose(want, rtol: 1e-4, atol: 1e-5), $"max difference {(y - want).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void GradientsReachTheWeightAndTheInput()
    {
        manual_seed(6);
        using var conv = new ChannelAlignedConv2d(17, 4, 3, padding: 1);
        using var x = randn(2, 17, 6, 6).requires_grad_(true);
        using (OneDnn.Off()) // training runs without oneDNN (see PgSamTrainer)
        {
            using var y = conv.forward(x);
            using var loss = y.square().sum();
            loss.backward();
        }
        var weight = conv.parameters().First();
        Assert.Equal(new long[] { 4, 17, 3, 3 }, weight.grad!.shape);
        Assert.Equal(new long[] { 2, 17, 6, 6 }, x.grad!.shape);
        Assert.True(weight.grad.abs().max().item<float>() > 0);
    }

    [Fact]
    public void RejectsAnotherChannelCount()
    {
        using var conv = new ChannelAlignedConv2d(17, 4, 3, padding: 1);
        using var x = randn(1, 16, 6, 6);
        Assert.Contains("B×17×H×W", Assert.Throws<ArgumentException>(() => conv.forward(x)).Message);
    }
}
