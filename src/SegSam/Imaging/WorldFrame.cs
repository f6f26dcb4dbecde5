namespace SegSam.Imaging;

/// <summary>
/// An anatomical world frame (RAS, LAS, LPS) and the voxel → RAS+ affine of a grid whose axis
/// steps and origin are given in it. ITK's physical space is LPS.
/// </summary>
internal sealed record WorldFrame(string Name, double SignX, double SignY)
{
    public static readonly WorldFrame Ras = new("RAS", 1, 1);
    public static readonly WorldFrame Las = new("LAS", -1, 1);
    public static readonly WorldFrame Lps = new("LPS", -1, -1);

    /// <summary>
    /// The row-major 4×4 voxel → RAS+ affine: column c is the world step of voxel axis c,
    /// column 3 the origin, with the frame's flipped axes negated.
    /// </summary>
    public double[,] ToRasAffine(double[][] axisSteps, double[] origin)
    {
        var a = new double[4, 4];
        double[] signs = [SignX, SignY, 1];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++) a[r, c] = signs[r] * axisSteps[c][r];
            a[r, 3] = signs[r] * origin[r];
        }
        a[3, 3] = 1;
        return a;
    }

    /// <summary>
    /// Completes the steps of a 2D grid with a unit third axis, so a single slice still has an
    /// invertible affine: +z for a grid in a 2D world (padded with z = 0), else the plane's normal.
    /// </summary>
    public static double[][] CompleteAxes(IReadOnlyList<double[]> steps)
    {
        var axes = steps.Select(s => new double[] { s[0], s.Length > 1 ? s[1] : 0, s.Length > 2 ? s[2] : 0 }).ToList();
        if (axes.Count == 3) return axes.ToArray();
        var (u, v) = (axes[0], axes[1]);
        if (u[2] == 0 && v[2] == 0) return [u, v, [0, 0, 1]];
        double[] n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
        double length = Math.Sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        axes.Add(length > 0 ? n.Select(x => x / length).ToArray() : [0, 0, 1]);
        return axes.ToArray();
    }

    /// <summary>Pads a 2D point with z = 0.</summary>
    public static double[] Point3(IReadOnlyList<double> p) => [p[0], p.Count > 1 ? p[1] : 0, p.Count > 2 ? p[2] : 0];
}
