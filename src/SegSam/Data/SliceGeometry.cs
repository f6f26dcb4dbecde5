using SegSam.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Data;

/// <summary>
/// 3D → 2D: slices of a RAS+ volume along an axis, shown as radiology viewers show them, then
/// zero-padded to a square and resized to the model size (bilinear for images, nearest for labels).
/// </summary>
public static class SliceGeometry
{
    /// <summary>
    /// Slice <paramref name="index"/> across <paramref name="axis"/> (0 sagittal, 1 coronal,
    /// 2 axial) of a RAS+ volume, as an H×W row-major image: axial slices put anterior at the
    /// top and the patient's right on the left of the image (radiological convention); coronal
    /// and sagittal put superior at the top.
    /// </summary>
    public static (float[] Pixels, int Height, int Width) Extract(Volume ras, int axis, int index)
    {
        int nx = ras.Nx, ny = ras.Ny, nz = ras.Nz;
        (int h, int w) = axis switch { 0 => (nz, ny), 1 => (nz, nx), 2 => (ny, nx), _ => throw new ArgumentOutOfRangeException(nameof(axis)) };
        int limit = ras.Dims[axis];
        if (index < 0 || index >= limit) throw new ArgumentOutOfRangeException(nameof(index), $"slice {index} outside 0..{limit - 1}");
        var pixels = new float[h * w];
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
        {
            pixels[r * w + c] = axis switch
            {
                // rows run posterior→… flipped so anterior is up; columns run from the patient's right.
                2 => ras[nx - 1 - c, ny - 1 - r, index],
                1 => ras[nx - 1 - c, index, nz - 1 - r],
                _ => ras[index, c, nz - 1 - r],
            };
        }
        return (pixels, h, w);
    }

    /// <summary>Zero-pads an image to a square (centred) and resizes it to size×size.</summary>
    public static float[] SquareResize(float[] pixels, int height, int width, int size, bool labels)
    {
        using var scope = NewDisposeScope();
        int side = Math.Max(height, width);
        int top = (side - height) / 2, left = (side - width) / 2;
        var image = tensor(pixels, [1, 1, height, width]);
        var padded = nn.functional.pad(image, [left, side - width - left, top, side - height - top]);
        var resized = side == size
            ? padded
            : labels
                ? nn.functional.interpolate(padded, size: [size, size], mode: InterpolationMode.Nearest)
                : nn.functional.interpolate(padded, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        return TensorData.ToFloatArray(resized);
    }
}
