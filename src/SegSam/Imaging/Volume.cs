namespace SegSam.Imaging;

/// <summary>
/// A 3D image on a voxel grid: intensities (or label codes) as float32 with x varying fastest
/// (index = x + nx·(y + ny·z), NIfTI's order), and the 4×4 affine from voxel indices (i, j, k)
/// to world millimetres in RAS+ (x → Right, y → Anterior, z → Superior), as nibabel reports it.
/// Float32 holds every integer label below 2^24 exactly.
/// </summary>
public sealed class Volume
{
    /// <summary>Grid size (nx, ny, nz); a 2D image has nz = 1.</summary>
    public int[] Dims { get; }
    public float[] Data { get; }
    /// <summary>Row-major 4×4 voxel → RAS+ world (mm) matrix.</summary>
    public double[,] Affine { get; }
    /// <summary>How the values were stored on disk ("uint8", "int16", "float32", …).</summary>
    public string SourceDataType { get; init; } = "float32";
    /// <summary>Where the volume came from, for messages.</summary>
    public string Source { get; init; } = "";

    public Volume(int[] dims, float[] data, double[,] affine)
    {
        if (dims.Length != 3 || dims.Any(d => d < 1))
            throw new ArgumentException($"volume dimensions must be three positive sizes, got [{string.Join(", ", dims)}]");
        long count = (long)dims[0] * dims[1] * dims[2];
        if (data.LongLength != count)
            throw new ArgumentException($"{data.LongLength} values do not fill a {dims[0]}×{dims[1]}×{dims[2]} volume");
        if (affine.GetLength(0) != 4 || affine.GetLength(1) != 4)
            throw new ArgumentException("the affine must be 4×4");
        Dims = dims;
        Data = data;
        Affine = affine;
    }

    public int Nx => Dims[0];
    public int Ny => Dims[1];
    public int Nz => Dims[2];
    public long VoxelCount => (long)Nx * Ny * Nz;

    public float this[int x, int y, int z] => Data[x + (long)Nx * (y + (long)Ny * z)];

    /// <summary>Voxel size along i, j, k in mm: the lengths of the affine's first three columns.</summary>
    public double[] Spacing => Enumerable.Range(0, 3)
        .Select(c => Math.Sqrt(Affine[0, c] * Affine[0, c] + Affine[1, c] * Affine[1, c] + Affine[2, c] * Affine[2, c]))
        .ToArray();

    /// <summary>A volume with the same grid and affine holding other values (e.g. a prediction).</summary>
    public Volume WithData(float[] data, string sourceDataType) =>
        new(Dims.ToArray(), data, (double[,])Affine.Clone()) { SourceDataType = sourceDataType, Source = Source };

    public static double[,] Identity()
    {
        var a = new double[4, 4];
        for (int i = 0; i < 4; i++) a[i, i] = 1;
        return a;
    }
}
