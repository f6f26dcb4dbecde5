namespace SegSam.Imaging;

/// <summary>
/// 3×3 / 4×4 matrix helpers for voxel-to-world affines: products, column norms, the inverse, the closest
/// rotation to a matrix (polar decomposition) and NIfTI's unit-quaternion ↔ rotation conversions.
/// </summary>
internal static class AffineMath
{
    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1), k = a.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += a[i, t] * b[t, j];
                c[i, j] = s;
            }
        return c;
    }

    /// <summary>Lengths of the first three columns of the affine's 3×3 part (the voxel sizes).</summary>
    public static double[] ColumnNorms(double[,] affine) =>
        [.. Enumerable.Range(0, 3).Select(c => Math.Sqrt(affine[0, c] * affine[0, c] + affine[1, c] * affine[1, c] + affine[2, c] * affine[2, c]))];

    public static double Determinant(double[,] m) =>
        m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
        - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
        + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);

    /// <summary>
    /// The orthogonal factor U of the polar decomposition M = U·P: the rotation (or reflection)
    /// nearest to M, which equals nibabel's U·Vᵀ from the SVD. Newton's iteration
    /// X ← (X + X⁻ᵀ)/2 converges quadratically for any non-singular M; null when M is singular.
    /// </summary>
    public static double[,]? ClosestOrthogonal(double[,] m)
    {
        var x = (double[,])m.Clone();
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var inverseT = InverseTranspose(x);
            if (inverseT is null) return null;
            double change = 0;
            var next = new double[3, 3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    next[i, j] = 0.5 * (x[i, j] + inverseT[i, j]);
                    change = Math.Max(change, Math.Abs(next[i, j] - x[i, j]));
                }
            x = next;
            if (change < 1e-15) break;
        }
        return x;
    }

    /// <summary>Inverse of a voxel-to-world affine [R t; 0 1]: [R⁻¹ −R⁻¹t; 0 1] (world to voxel); null when R is singular.</summary>
    public static double[,]? InverseAffine(double[,] affine)
    {
        if (InverseTranspose(affine) is not { } inverseT) return null;
        var inverse = new double[4, 4];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) inverse[i, j] = inverseT[j, i];
            inverse[i, 3] = -(inverse[i, 0] * affine[0, 3] + inverse[i, 1] * affine[1, 3] + inverse[i, 2] * affine[2, 3]);
        }
        inverse[3, 3] = 1;
        return inverse;
    }

    static double[,]? InverseTranspose(double[,] m)
    {
        double det = Determinant(m);
        double volume = ColumnNorms(m).Aggregate(1.0, (p, n) => p * n);
        if (!double.IsFinite(det) || Math.Abs(det) <= 1e-12 * volume) return null;
        var cof = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
                cof[i, j] = (m[i1, j1] * m[i2, j2] - m[i1, j2] * m[i2, j1]) / det;
            }
        return cof; // the cofactor matrix over det is exactly the inverse transpose
    }

    /// <summary>
    /// Rotation matrix of the unit quaternion (a, b, c, d) whose first component the NIfTI
    /// header omits: a = √(1 − b² − c² − d²). Null when b² + c² + d² exceeds 1 by more than
    /// <paramref name="tolerance"/> (rounding of the stored values), as nibabel rejects it.
    /// </summary>
    public static double[,]? QuaternionToRotation(double b, double c, double d, double tolerance)
    {
        double a2 = 1.0 - (b * b + c * c + d * d);
        if (a2 < -tolerance) return null;
        double a = a2 > 0 ? Math.Sqrt(a2) : 0;
        return new double[,]
        {
            { a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c) },
            { 2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b) },
            { 2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b },
        };
    }

    /// <summary>
    /// (b, c, d) of the unit quaternion with a ≥ 0 for a proper rotation matrix R, choosing the
    /// numerically largest of the four components to divide by.
    /// </summary>
    public static (double B, double C, double D) RotationToQuaternion(double[,] r)
    {
        double trace = r[0, 0] + r[1, 1] + r[2, 2];
        double a, b, c, d;
        if (trace > -0.5)
        {
            a = 0.5 * Math.Sqrt(1 + trace);
            b = 0.25 * (r[2, 1] - r[1, 2]) / a;
            c = 0.25 * (r[0, 2] - r[2, 0]) / a;
            d = 0.25 * (r[1, 0] - r[0, 1]) / a;
        }
        else if (r[0, 0] >= r[1, 1] && r[0, 0] >= r[2, 2])
        {
            b = 0.5 * Math.Sqrt(1 + r[0, 0] - r[1, 1] - r[2, 2]);
            c = 0.25 * (r[0, 1] + r[1, 0]) / b;
            d = 0.25 * (r[0, 2] + r[2, 0]) / b;
            a = 0.25 * (r[2, 1] - r[1, 2]) / b;
        }
        else if (r[1, 1] >= r[2, 2])
        {
            c = 0.5 * Math.Sqrt(1 + r[1, 1] - r[0, 0] - r[2, 2]);
            b = 0.25 * (r[0, 1] + r[1, 0]) / c;
            d = 0.25 * (r[1, 2] + r[2, 1]) / c;
            a = 0.25 * (r[0, 2] - r[2, 0]) / c;
        }
        else
        {
            d = 0.5 * Math.Sqrt(1 + r[2, 2] - r[0, 0] - r[1, 1]);
            b = 0.25 * (r[0, 2] + r[2, 0]) / d;
            c = 0.25 * (r[1, 2] + r[2, 1]) / d;
            a = 0.25 * (r[1, 0] - r[0, 1]) / d;
        }
        return a < 0 ? (-b, -c, -d) : (b, c, d);
    }
}
