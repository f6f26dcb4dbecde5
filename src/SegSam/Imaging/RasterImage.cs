namespace SegSam.Imaging;

/// <summary>
/// A 2D image as SAM's predictor takes it: H×W×C pixel values (row-major, channels last),
/// normally in the 0–255 range (a 16-bit PNG keeps its 0–65535 values). <see cref="IsUInt8"/>
/// records that the values are whole bytes, so that resizing rounds back to bytes as the
/// reference (PIL) does.
/// </summary>
public sealed class RasterImage
{
    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }
    public float[] Data { get; }
    public bool IsUInt8 { get; }

    public RasterImage(int height, int width, int channels, float[] data, bool isUInt8)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height}×{width} is empty");
        if (channels is not (1 or 3))
            throw new ArgumentException($"images need 1 (gray) or 3 (RGB) channels, got {channels}");
        if (data.LongLength != (long)height * width * channels)
            throw new ArgumentException($"{data.Length} values do not fill a {height}×{width}×{channels} image");
        if (data.Any(v => !float.IsFinite(v)))
            throw new ArgumentException("image contains NaN or infinite values");
        Height = height;
        Width = width;
        Channels = channels;
        Data = data;
        IsUInt8 = isUInt8;
    }

    public static RasterImage FromBytes(int height, int width, int channels, byte[] data) =>
        new(height, width, channels, data.Select(b => (float)b).ToArray(), isUInt8: true);

    /// <summary>
    /// Reads a PNG (any bit depth; 16-bit values kept exact), JPEG or BMP as gray or RGB (alpha
    /// dropped, palettes looked up), or a .npy array (H×W or H×W×C, uint8 or any numeric type
    /// taken as pixel values).
    /// </summary>
    public static RasterImage Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext == ".npy" ? FromNpy(NpyFile.Read(path), path) : PixelFile.Read(path);
    }

    public static RasterImage FromNpy(NpyArray array, string source)
    {
        var s = array.Shape;
        bool layoutOk = s.Length == 2 || (s.Length == 3 && s[2] is 1 or 3);
        if (!layoutOk)
            throw new InvalidDataException($"{source}: expected an H×W or H×W×3 image array, got shape {Shapes.Format(s)}");
        int channels = s.Length == 2 ? 1 : (int)s[2];
        bool isBytes = array.DType == NpyDType.UInt8;
        try
        {
            return new RasterImage((int)s[0], (int)s[1], channels, array.ToFloat32(), isBytes);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }
}
