using SegSam.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// The reference ResizeLongestSide transform: scale an image so its longer side equals the
/// encoder size, and map prompt coordinates from the original frame to the resized one.
/// </summary>
public sealed class ResizeLongestSide(int targetLength)
{
    public int TargetLength { get; } = targetLength;

    /// <summary>Size after resizing, rounded half up as the reference does.</summary>
    public static (int H, int W) PreprocessShape(int oldH, int oldW, int longSide)
    {
        double scale = longSide * 1.0 / Math.Max(oldH, oldW);
        // The reference rounds a side shorter than half a pixel after scaling to 0, and the resize
        // then fails; keep one pixel, so that a 1×20000 strip is still an image (identical otherwise).
        return (Math.Max(1, (int)(oldH * scale + 0.5)), Math.Max(1, (int)(oldW * scale + 0.5)));
    }

    /// <summary>
    /// 1×C×h×w float pixels of the resized image. A uint8 image is resized by Pillow's 8-bit
    /// BILINEAR resize to the byte (<see cref="PillowBilinearResize"/>), the reference's
    /// torchvision resize of a PIL image, before its channels are made up; other images
    /// (16-bit, float) by libtorch's bilinear interpolation with antialiasing, its float analogue.
    /// </summary>
    public Tensor ApplyImage(RasterImage image, int channels, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var (h, w) = PreprocessShape(image.Height, image.Width, TargetLength);
        bool resize = h != image.Height || w != image.Width;
        if (resize && image.IsUInt8) return ToChannels(PillowBilinearResize.Resize(image, h, w), channels, device).MoveToOuterDisposeScope();
        var pixels = ToChannels(image, channels, device);
        if (resize)
            pixels = nn.functional.interpolate(pixels, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        return pixels.MoveToOuterDisposeScope();
    }

    /// <summary>1×C×H×W float pixels with the channel count the model takes.</summary>
    public static Tensor ToChannels(RasterImage image, int channels, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var hwc = tensor(image.Data, [image.Height, image.Width, image.Channels], device: device);
        var chw = hwc.permute(2, 0, 1).unsqueeze(0);
        if (image.Channels == channels) return chw.contiguous().MoveToOuterDisposeScope();
        if (image.Channels == 1) return chw.expand(1, channels, -1, -1).contiguous().MoveToOuterDisposeScope();
        if (channels == 1)
        {
            // ITU-R 601-2 luma, the weights of PIL's convert("L").
            var luma = tensor(new[] { 0.299f, 0.587f, 0.114f }, device: device).view(1, 3, 1, 1);
            return (chw * luma).sum(1, keepdim: true).MoveToOuterDisposeScope();
        }
        throw new ArgumentException($"cannot feed a {image.Channels}-channel image to a {channels}-channel model");
    }

    /// <summary>Scales (x, y) from an original image of <paramref name="originalSize"/> to the resized frame.</summary>
    public (double X, double Y) ApplyCoords(double x, double y, (int H, int W) originalSize)
    {
        var (newH, newW) = PreprocessShape(originalSize.H, originalSize.W, TargetLength);
        return (x * ((double)newW / originalSize.W), y * ((double)newH / originalSize.H));
    }

    /// <summary>Scales a tensor of coordinates (… × 2, x first) to the resized frame, as float32.</summary>
    public Tensor ApplyCoords(Tensor coords, (int H, int W) originalSize)
    {
        using var scope = NewDisposeScope();
        var (newH, newW) = PreprocessShape(originalSize.H, originalSize.W, TargetLength);
        var scale = tensor(new[] { (double)newW / originalSize.W, (double)newH / originalSize.H }, device: coords.device);
        return (coords.to(ScalarType.Float64) * scale).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
