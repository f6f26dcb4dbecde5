namespace SegSam.Imaging;

/// <summary>
/// A validated 2D (H, W) or 3D (D, H, W) row-major grid seen as (D, H, W): a 2D grid gets depth 1,
/// so one code path serves both. Spacing (mm) follows the same order; a 2D grid's depth spacing is 1.
/// </summary>
internal readonly struct Grid
{
    public int D { get; }
    public int H { get; }
    public int W { get; }
    public double Sz { get; }
    public double Sy { get; }
    public double Sx { get; }

    Grid(int d, int h, int w, double sz, double sy, double sx)
    {
        D = d; H = h; W = w; Sz = sz; Sy = sy; Sx = sx;
    }

    public int Plane => H * W;
    public int Count => D * H * W;

    /// <summary>Checks that <paramref name="dims"/> has 2 or 3 positive sizes whose product is <paramref name="length"/>.</summary>
    public static Grid Of(int[] dims, int length) => Of(dims, null, length);

    /// <summary>As <see cref="Of(int[], int)"/>, with one positive finite spacing per dimension.</summary>
    public static Grid Of(int[] dims, double[]? spacing, int length)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length is not (2 or 3) || dims.Any(d => d < 1))
            throw new ArgumentException($"grid dimensions must be 2 or 3 positive sizes, got [{string.Join(", ", dims)}]", nameof(dims));
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != length)
            throw new ArgumentException($"{length} values do not fill a [{string.Join(", ", dims)}] grid", nameof(dims));
        if (spacing is not null)
        {
            if (spacing.Length != dims.Length)
                throw new ArgumentException($"spacing has {spacing.Length} values for a {dims.Length}D grid", nameof(spacing));
            if (spacing.Any(s => !(s > 0) || double.IsInfinity(s)))
                throw new ArgumentException($"spacing must be positive and finite, got [{string.Join(", ", spacing)}]", nameof(spacing));
        }
        double[] s3 = spacing is null ? [1, 1, 1] : spacing.Length == 3 ? spacing : [1, spacing[0], spacing[1]];
        return dims.Length == 3
            ? new Grid(dims[0], dims[1], dims[2], s3[0], s3[1], s3[2])
            : new Grid(1, dims[0], dims[1], s3[0], s3[1], s3[2]);
    }

    /// <summary>Throws unless the two masks have the same length.</summary>
    public static void SameLength(int prediction, int truth)
    {
        if (prediction != truth)
            throw new ArgumentException($"prediction has {prediction} values but the ground truth has {truth}");
    }
}
