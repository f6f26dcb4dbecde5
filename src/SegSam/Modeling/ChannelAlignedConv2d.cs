using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// A 2D convolution like <c>nn.Conv2d</c> (parameters <c>weight</c> O×I×k×k and <c>bias</c> O under
/// those names, the same initialisation from the same random numbers) that pads its input channels,
/// and the weight's, with zeros to a multiple of <see cref="ChannelBlock"/> before convolving. The
/// result is the same convolution: the added channels contribute exact zeros.
/// <para>
/// Why: libtorch 2.10 runs CPU convolutions through oneDNN, which reorders the weight into a blocked
/// layout (here ABcd16b16a: input channels in blocks of 16 with AVX-512, of 8 with AVX2) and pads the
/// input channels up to the block. The padded part of that weight buffer is fresh from malloc and
/// is not zeroed; the kernel multiplies it by the padded (zero) input channels. While the stale bytes
/// there read as finite floats that adds 0; when they read as NaN or ±Inf (whatever the process
/// freed there before: old activations, allocator pointers), 0 · NaN = NaN and every output the
/// padded weight touches turns NaN. Measured on libtorch 2.10 / oneDNN 3.7.1 (AVX-512): k×k
/// convolutions (k ≥ 2) with 17–31, 33–47, … input channels read the stale bytes (every call NaN
/// when the allocator hands out NaN-filled memory); 16, 32, 48 input channels, fewer than 16, 1×1
/// kernels and transposed convolutions did not. PG-SAM's mask optimizer (1 + D/8 input channels,
/// 17 for D = 128) was hit: its refined masks came out NaN for whole batches at random, so
/// prompt-free label maps changed from run to run and from call to call.
/// </para>
/// <para>
/// Only the forward pass is covered. oneDNN's backward reads stale padding too, for padded output
/// channels as well (the input gradient of AdaptiveFeatureFusion's 2 → 1-channel spatial gate comes
/// out NaN): PG-SAM trains with oneDNN off (<c>PgSamTrainer</c>).
/// </para>
/// </summary>
internal sealed class ChannelAlignedConv2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Input channels are padded to a multiple of this (oneDNN's largest f32 channel block).</summary>
    public const long ChannelBlock = 16;

    readonly Parameter weight;
    readonly Parameter? bias;
    readonly long[] stride;
    readonly long[] padding;

    public long InChannels { get; }
    public long OutChannels { get; }
    /// <summary>The input channel count the convolution runs with: <see cref="InChannels"/> rounded up to <see cref="ChannelBlock"/>.</summary>
    public long AlignedInChannels => (InChannels + ChannelBlock - 1) / ChannelBlock * ChannelBlock;

    public ChannelAlignedConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(ChannelAlignedConv2d))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        this.stride = [stride, stride];
        this.padding = [padding, padding];
        // nn.Conv2d's own initialisation (Kaiming-uniform weight, uniform bias), the same draws it would make.
        using (var conv = nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: padding, bias: bias))
        using (no_grad())
        {
            this.weight = new Parameter(conv.weight!.detach().clone());
            if (bias) this.bias = new Parameter(conv.bias!.detach().clone());
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != InChannels)
            throw new ArgumentException($"convolution input must be B×{InChannels}×H×W, got {Shapes.Format(x.shape)}");
        long extra = AlignedInChannels - InChannels;
        if (extra == 0) return nn.functional.conv2d(x, weight, bias, strides: stride, padding: padding);
        using var scope = NewDisposeScope();
        var input = cat([x, zeros([x.shape[0], extra, x.shape[2], x.shape[3]], x.dtype, x.device)], 1);
        var w = cat([weight, zeros([OutChannels, extra, weight.shape[2], weight.shape[3]], weight.dtype, weight.device)], 1);
        return nn.functional.conv2d(input, w, bias, strides: stride, padding: padding).MoveToOuterDisposeScope();
    }
}
