using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Pre-norm ViT block with windowed (window_size &gt; 0) or global attention
/// (the reference image_encoder.Block).
/// </summary>
public sealed class VitBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly VitAttention attn;
    readonly LayerNorm norm2;
    readonly MlpBlock mlp;
    // Named as SAM-Med2D's state_dict names it ("blocks.N.Adapter.…").
    readonly AdapterLayer? Adapter;
    readonly long windowSize;

    public VitBlock(long dim, long numHeads, double mlpRatio, bool qkvBias, bool useRelPos, long windowSize,
                    (long H, long W) inputSize, double layerNormEps, bool adapter = false) : base(nameof(VitBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: layerNormEps);
        attn = new VitAttention(dim, numHeads, qkvBias, useRelPos,
            windowSize == 0 ? inputSize : (windowSize, windowSize));
        norm2 = nn.LayerNorm(dim, eps: layerNormEps);
        mlp = new MlpBlock(dim, (long)(dim * mlpRatio), () => nn.GELU());
        // SAM-Med2D's adapter uses nn.LayerNorm's default eps.
        if (adapter) Adapter = new AdapterLayer(dim);
        this.windowSize = windowSize;
        RegisterComponents();
    }

    /// <summary>The block's attention (LoRA is applied there).</summary>
    public VitAttention Attention => attn;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = norm1.forward(x);
        y = windowSize > 0 ? WindowedAttention(y) : attn.forward(y);
        var residual = x.Plus(y);
        var normed = norm2.forward(residual);
        var output = residual.Plus(mlp.forward(normed));
        if (Adapter is not null) output = output.Plus(Adapter.forward(normed));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Attention within windows, computing what the reference computes with less work: the
    /// reference pads the normalised tokens with zeros to whole windows and projects every
    /// padded token; a zero token's q/k/v is exactly the qkv bias, so we project only the real
    /// tokens, fill the padding with the bias, attend per window (padding included, as in the
    /// reference), and apply the output projection to the real tokens only. At 256 input (16×16
    /// grid, 14×14 windows padded to 28×28) this skips two thirds of the qkv and proj GEMMs.
    /// </summary>
    Tensor WindowedAttention(Tensor y)
    {
        using var scope = NewDisposeScope();
        long b = y.shape[0], h = y.shape[1], w = y.shape[2];
        var qkv = attn.ProjectQkv(y);
        long hp = (h + windowSize - 1) / windowSize * windowSize, wp = (w + windowSize - 1) / windowSize * windowSize;
        if (hp != h || wp != w)
        {
            var filled = attn.ZeroTokenQkv().view(1, 1, 1, -1).expand(b, hp, wp, -1).contiguous();
            filled[.., ..(int)h, ..(int)w, ..] = qkv;
            qkv = filled;
        }
        var (windows, padded) = WindowPartition(qkv, windowSize);
        var mixed = WindowUnpartition(attn.Attend(windows), windowSize, padded, (h, w));
        return attn.ProjectOutput(mixed).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Splits B×H×W×C into non-overlapping windows (B·nW)×ws×ws×C, zero-padding H and W up to a
    /// multiple of the window; returns the padded size for <see cref="WindowUnpartition"/>.
    /// </summary>
    public static (Tensor Windows, (long H, long W) Padded) WindowPartition(Tensor x, long windowSize)
    {
        long b = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3];
        long padH = (windowSize - h % windowSize) % windowSize;
        long padW = (windowSize - w % windowSize) % windowSize;
        if (padH > 0 || padW > 0) x = nn.functional.pad(x, [0, 0, 0, padW, 0, padH]);
        long hp = h + padH, wp = w + padW;
        var windows = x.view(b, hp / windowSize, windowSize, wp / windowSize, windowSize, c)
            .permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, windowSize, windowSize, c);
        return (windows, (hp, wp));
    }

    /// <summary>Inverse of <see cref="WindowPartition"/>: back to B×H×W×C without the padding.</summary>
    public static Tensor WindowUnpartition(Tensor windows, long windowSize, (long H, long W) padded, (long H, long W) size)
    {
        long b = windows.shape[0] / (padded.H * padded.W / windowSize / windowSize);
        var x = windows.view(b, padded.H / windowSize, padded.W / windowSize, windowSize, windowSize, -1)
            .permute(0, 1, 3, 2, 4, 5).contiguous().view(b, padded.H, padded.W, -1);
        if (padded.H > size.H || padded.W > size.W)
            x = x[.., ..(int)size.H, ..(int)size.W, ..].contiguous();
        return x;
    }
}
