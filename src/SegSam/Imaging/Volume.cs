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
    /// <summary>
    /// The DICOM series the volume was read from (its instances, geometry and UIDs), which DICOM
    /// objects derived from it (SEG, RTSTRUCT) reference; null for every other format.
    /// </summary>
    public Dicom.DicomSourceSeries? DicomSource { get; init; }

    /// <summary>
    /// A volume on a valid grid. Shapes that do not match are programming errors
    /// (<see cref="ArgumentException"/>); values or an affine that no image can have — NaN or
    /// infinite values, an affine with NaN or infinite entries, or one whose voxel axes have zero
    /// length or are not independent (no orientation, no inverse) — are bad input
    /// (<see cref="InvalidDataException"/> naming <paramref name="source"/>), which is how every
    /// reader refuses them in one place.
    /// </summary>
    public Volume(int[] dims, float[] data, double[,] affine, string source = "")
    {
        if (dims.Length != 3 || dims.Any(d => d < 1))
            throw new ArgumentException($"volume dimensions must be three positive sizes, got [{string.Join(", ", dims)}]");
        long count = (long)dims[0] * dims[1] * dims[2];
        if (data.LongLength != count)
            throw new ArgumentException($"{data.LongLength} values do not fill a {dims[0]}×{dims[1]}×{dims[2]} volume");
        if (affine.GetLength(0) != 4 || affine.GetLength(1) != 4)
            throw new ArgumentException("the affine must be 4×4");
        string name = source.Length > 0 ? source : "volume";
        if (AffineProblem(affine) is { } problem) throw new InvalidDataException($"{name}: {problem}");
        long bad = CountNonFinite(data);
        if (bad > 0) throw new InvalidDataException($"{name}: {bad} of {count} values are NaN or infinite");
        Dims = dims;
        Data = data;
        Affine = affine;
        Source = source;
    }

    /// <summary>What makes an affine unusable for an image, or null when it is fine.</summary>
    internal static string? AffineProblem(double[,] affine)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                if (!double.IsFinite(affine[r, c]))
                    return $"the voxel-to-world affine holds a non-finite value ({affine[r, c]} at row {r}, column {c})";
        var zooms = AffineMath.ColumnNorms(affine);
        for (int c = 0; c < 3; c++)
            if (zooms[c] == 0) return $"the voxel-to-world affine gives voxel axis {"ijk"[c]} zero length (a voxel size of 0)";
        // The same test Orientation applies: a determinant this small relative to the voxel sizes
        // means the axes are (numerically) parallel, so the grid has no orientation and no inverse.
        if (!(Math.Abs(AffineMath.Determinant(affine)) > 1e-12 * zooms[0] * zooms[1] * zooms[2]))
            return "the voxel-to-world affine is singular: its voxel axes are parallel (not independent directions)";
        return null;
    }

    /// <summary>
    /// The number of voxels of a grid of <paramref name="dims"/> read from a file, checked to fit
    /// one .NET array both as stored (<paramref name="storedSize"/> bytes each) and as float32:
    /// header sizes whose product is too large, or even overflows 64 bits, are bad input.
    /// </summary>
    internal static long CheckedVoxelCount(IReadOnlyList<long> dims, int storedSize, string source)
    {
        long limit = Array.MaxLength / Math.Max(storedSize, sizeof(float));
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 1) throw new InvalidDataException($"{source}: dimension {d} in [{string.Join(", ", dims)}] is not a positive size");
            if (count > limit / d)
                throw new InvalidDataException($"{source}: a [{string.Join(" × ", dims)}] image is too large to read (more than {limit} voxels of {storedSize} bytes)");
            count *= d;
        }
        return count;
    }

    static long CountNonFinite(float[] data)
    {
        long bad = 0;
        foreach (float v in data)
            if (!float.IsFinite(v)) bad++;
        return bad;
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
        new(Dims.ToArray(), data, (double[,])Affine.Clone(), Source) { SourceDataType = sourceDataType };

    public static double[,] Identity()
    {
        var a = new double[4, 4];
        for (int i = 0; i < 4; i++) a[i, i] = 1;
        return a;
    }
}
