using SegSam.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Data;

/// <summary>
/// 3D → 2D: slices of a RAS+ volume along an axis, shown as radiology viewers show them, then
/// zero-padded to a square and resized to the model size (bilinear for images, nearest at pixel
/// centres for labels, so that both keep one geometry).
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
        var (h, w) = SliceSize(ras.Dims, axis);
        int limit = ras.Dims[axis];
        if (index < 0 || index >= limit) throw new ArgumentOutOfRangeException(nameof(index), $"slice {index} outside 0..{limit - 1}");
        var pixels = new float[h * w];
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            pixels[r * w + c] = ras.Data[VoxelIndex(ras.Dims, axis, index, r, c)];
        return (pixels, h, w);
    }

    /// <summary>
    /// The inverse of <see cref="Extract"/> for label masks: sets every voxel of slice
    /// <paramref name="index"/> whose mask pixel is non-zero to <paramref name="value"/>.
    /// </summary>
    public static void Insert(float[] volume, int[] dims, int axis, int index, byte[] mask, float value)
    {
        var (h, w) = SliceSize(dims, axis);
        if (mask.Length != h * w) throw new ArgumentException($"a {h}×{w} slice mask is needed, got {mask.Length} values");
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            if (mask[r * w + c] != 0) volume[VoxelIndex(dims, axis, index, r, c)] = value;
    }

    /// <summary>
    /// The inverse of <see cref="Extract"/> for whole label maps: writes every pixel of an H×W
    /// slice (background included) into slice <paramref name="index"/> of the volume.
    /// </summary>
    public static void Place(float[] volume, int[] dims, int axis, int index, ReadOnlySpan<int> labels)
    {
        var (h, w) = SliceSize(dims, axis);
        if (labels.Length != h * w) throw new ArgumentException($"a {h}×{w} slice is needed, got {labels.Length} values");
        if (index < 0 || index >= dims[axis]) throw new ArgumentOutOfRangeException(nameof(index), $"slice {index} outside 0..{dims[axis] - 1}");
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            volume[VoxelIndex(dims, axis, index, r, c)] = labels[r * w + c];
    }

    /// <summary>
    /// The inverse of <see cref="SquareResize"/> for label maps: B×size×size class indices (any
    /// integer type) → B×<paramref name="height"/>×<paramref name="width"/> int32, resized with
    /// nearest neighbour at pixel centres to the padded square and cropped to the slice (the padding dropped).
    /// </summary>
    public static Tensor SquareRestoreLabels(Tensor labels, int height, int width)
    {
        if (labels.dim() != 3 || labels.shape[1] != labels.shape[2])
            throw new ArgumentException($"B×S×S label maps are needed, got {Shapes.Format(labels.shape)}");
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), "the slice must have at least one pixel");
        using var scope = NewDisposeScope();
        int side = Math.Max(height, width);
        int top = (side - height) / 2, left = (side - width) / 2;
        var square = labels.shape[1] == side
            ? labels.to(ScalarType.Int32)
            : NearestAtCentres(labels.to(ScalarType.Int32), side);
        return square.narrow(1, top, height).narrow(2, left, width).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The voxel shown at row r, column c of a slice: rows run from anterior (axial) or superior
    /// (coronal, sagittal) down; columns run from the patient's right (axial, coronal) or from
    /// posterior (sagittal).
    /// </summary>
    static long VoxelIndex(int[] dims, int axis, int index, int r, int c)
    {
        int nx = dims[0], ny = dims[1], nz = dims[2];
        var (x, y, z) = axis switch
        {
            2 => (nx - 1 - c, ny - 1 - r, index),
            1 => (nx - 1 - c, index, nz - 1 - r),
            _ => (index, c, nz - 1 - r),
        };
        return x + (long)nx * (y + (long)ny * z);
    }

    /// <summary>Height and width of a slice across <paramref name="axis"/>.</summary>
    public static (int Height, int Width) SliceSize(int[] dims, int axis) => axis switch
    {
        0 => (dims[2], dims[1]),
        1 => (dims[2], dims[0]),
        2 => (dims[1], dims[0]),
        _ => throw new ArgumentOutOfRangeException(nameof(axis), "axis must be 0 (sagittal), 1 (coronal) or 2 (axial)"),
    };

    /// <summary>
    /// B×S×S maps resized to B×size×size by taking, for each output pixel, the source pixel under
    /// its centre: source index ⌊(i + ½)·S/size⌋, the pixel-centre geometry of the bilinear image
    /// resize, so that labels stay on their image. PyTorch's legacy 'nearest' takes ⌊i·S/size⌋
    /// instead, which moves labels down and right of their image by half an output pixel on
    /// average. libtorch's nearest-exact mode computes the same indices (the prepared caches are
    /// byte for byte equal), but through TorchSharp 0.107 it writes an align_corners warning to
    /// stderr on every call, which a worker's or server's log must not carry. Index selection also
    /// copies class values exactly, whatever their type.
    /// </summary>
    static Tensor NearestAtCentres(Tensor maps, int size)
    {
        long from = maps.shape[1];
        var index = Enumerable.Range(0, size).Select(i => Math.Min(from - 1, (long)Math.Floor((i + 0.5) * from / size))).ToArray();
        using var rows = tensor(index, ScalarType.Int64);
        return maps.index_select(1, rows).index_select(2, rows);
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
                ? NearestAtCentres(padded.squeeze(1), size).unsqueeze(1)
                : nn.functional.interpolate(padded, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        return TensorData.ToFloatArray(resized);
    }
}
