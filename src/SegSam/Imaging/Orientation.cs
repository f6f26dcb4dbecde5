namespace SegSam.Imaging;

/// <summary>
/// Voxel-axis orientation of an affine, as nibabel's io_orientation / aff2axcodes /
/// as_closest_canonical define it: each voxel axis is matched with the world axis (R, A, S) it
/// runs closest to, and reorienting permutes and flips the voxel axes so that they run along
/// +R, +A, +S — no resampling, so values are carried over exactly.
/// </summary>
public static class Orientation
{
    /// <summary>
    /// The volume on its closest RAS+ grid and the transform back to the original grid.
    /// The returned volume is always a copy, even when the grid is already RAS+.
    /// </summary>
    public static (Volume Canonical, CanonicalTransform Transform) Canonical(Volume volume)
    {
        var transform = new CanonicalTransform(volume, AxisMapping(volume.Affine, volume.Source));
        return (transform.Apply(volume), transform);
    }

    /// <summary>Three letters naming where each voxel axis points: "RAS", "LPS", "LIA", ….</summary>
    public static string AxisCodes(double[,] affine) => Codes(AxisMapping(affine, "affine"));

    internal static string Codes((int WorldAxis, int Sign)[] mapping) =>
        string.Concat(mapping.Select(m => m.Sign > 0 ? "RAS"[m.WorldAxis] : "LPI"[m.WorldAxis]));

    /// <summary>
    /// For each voxel axis, the world axis it follows and the direction (+1 or −1).
    /// The affine's direction part is first replaced by its closest rotation (removing voxel
    /// sizes and shear); then axis by axis, in order i, j, k, the world axis with the largest
    /// absolute cosine is taken and removed from the choices, so ties cannot pick one world axis twice.
    /// </summary>
    internal static (int WorldAxis, int Sign)[] AxisMapping(double[,] affine, string source)
    {
        var zooms = AffineMath.ColumnNorms(affine);
        var directions = new double[3, 3];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) directions[r, c] = zooms[c] == 0 ? 0 : affine[r, c] / zooms[c];
        var rotation = AffineMath.ClosestOrthogonal(directions)
            ?? throw new ArgumentException($"{source}: the affine is singular, so its voxel axes have no orientation");
        var mapping = new (int, int)[3];
        for (int axis = 0; axis < 3; axis++)
        {
            int best = 0;
            for (int w = 1; w < 3; w++)
                if (Math.Abs(rotation[w, axis]) > Math.Abs(rotation[best, axis])) best = w;
            mapping[axis] = (best, rotation[best, axis] < 0 ? -1 : 1);
            for (int c = 0; c < 3; c++) rotation[best, c] = 0;
        }
        return mapping;
    }
}
