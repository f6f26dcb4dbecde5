using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// CLIP's image preprocessing for images already in tensors: B×3×H×W in [0, 1] → B×3×R×R
/// normalised. It follows <c>_transform</c> in openai/CLIP clip/clip.py: Resize(R, BICUBIC) of the
/// shorter side, CenterCrop(R), ToTensor, Normalize(<see cref="Mean"/>, <see cref="Std"/>). The
/// resize here is torch's antialiased bicubic on float tensors (what torchvision's Resize does
/// for tensors), clamped to [0, 1]; the reference resizes 8-bit PIL images, so results agree to
/// about one grey level, not bit for bit. Images already R×R are only normalised.
/// </summary>
public static class ClipPreprocess
{
    /// <summary>CLIP's per-channel RGB mean (clip/clip.py, _transform).</summary>
    public static IReadOnlyList<double> Mean { get; } = [0.48145466, 0.4578275, 0.40821073];

    /// <summary>CLIP's per-channel RGB standard deviation (clip/clip.py, _transform).</summary>
    public static IReadOnlyList<double> Std { get; } = [0.26862954, 0.26130258, 0.27577711];

    /// <summary>Resizes (shorter side to <paramref name="resolution"/>), centre-crops and normalises.</summary>
    public static Tensor Apply(Tensor images, int resolution)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "the resolution must be positive");
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] < 1 || images.shape[3] < 1)
            throw new ArgumentException($"CLIP preprocessing expects B×3×H×W RGB images in [0, 1], got {Shapes.Format(images.shape)}");
        if (!images.is_floating_point())
            throw new ArgumentException($"CLIP preprocessing expects floating-point images in [0, 1], got {images.dtype}");
        using var scope = NewDisposeScope();
        var x = images;
        long h = x.shape[2], w = x.shape[3];
        var (rh, rw) = ResizedSize(h, w, resolution);
        if (rh != h || rw != w)
        {
            x = nn.functional.interpolate(x, size: [rh, rw], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true)
                .Clamped(0, 1);
        }
        // torchvision's CenterCrop: offsets round((size − R) / 2), Python rounding (half to even).
        long top = (long)Math.Round((rh - resolution) / 2.0, MidpointRounding.ToEven);
        long left = (long)Math.Round((rw - resolution) / 2.0, MidpointRounding.ToEven);
        x = x.narrow(2, top, resolution).narrow(3, left, resolution);
        using var mean = tensor(Mean.Select(v => (float)v).ToArray(), dtype: ScalarType.Float32, device: x.device);
        using var std = tensor(Std.Select(v => (float)v).ToArray(), dtype: ScalarType.Float32, device: x.device);
        var normalised = x.sub(mean.to(x.dtype).view(1, 3, 1, 1)).div(std.to(x.dtype).view(1, 3, 1, 1));
        return normalised.MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's Resize(int) size: the shorter side becomes R, the longer one R·long/short (truncated).</summary>
    public static (long H, long W) ResizedSize(long h, long w, int resolution) =>
        h <= w ? (resolution, (long)((double)resolution * w / h)) : ((long)((double)resolution * h / w), resolution);
}
