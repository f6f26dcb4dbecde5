using SegSam.Imaging;

namespace SegSam.Evaluation;

/// <summary>
/// Surface-distance metrics of binary masks (any non-zero byte is foreground) on a 2D (H, W) or
/// 3D (D, H, W) row-major grid with voxel spacing in mm, in the same order as the dimensions.
/// </summary>
public static class SurfaceMetrics
{
    /// <summary>HD95 in mm; see <see cref="SurfaceDistances.Hd95"/> (0 both empty, NaN one empty).</summary>
    public static double Hd95(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, int[] dims, double[] spacing) =>
        Distances(prediction, truth, dims, spacing).Hd95();

    /// <summary>NSD at a tolerance in mm; see <see cref="SurfaceDistances.Nsd"/> (1 both empty, 0 one empty).</summary>
    public static double Nsd(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, int[] dims, double[] spacing, double toleranceMm) =>
        Distances(prediction, truth, dims, spacing).Nsd(toleranceMm);

    /// <summary>
    /// Distances from each mask's border voxels to the other mask's border, in mm. A border voxel is
    /// a foreground voxel with a face neighbour (4-connected in 2D, 6-connected in 3D) that is
    /// background or off the grid: the mask minus its erosion by the cross structuring element
    /// with the outside counted as background, as medpy's <c>__surface_distances</c> (connectivity 1)
    /// and MONAI's <c>get_mask_edges</c>. A one-voxel mask is its own border.
    /// </summary>
    public static SurfaceDistances Distances(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, int[] dims, double[] spacing)
    {
        Grid.SameLength(prediction.Length, truth.Length);
        var grid = Grid.Of(dims, spacing, prediction.Length);
        if (!Box.TryOfUnion(prediction, truth, grid, out var box)) return new SurfaceDistances([], []);

        // Every border voxel lies in the union's bounding box, and so does the nearest border voxel
        // of the other mask, so the transform on that box alone is exact.
        int[] predBorder = Border(prediction, grid, box);
        int[] truthBorder = Border(truth, grid, box);
        var field = new double[box.Count];
        return new SurfaceDistances(
            DistancesTo(truthBorder, predBorder, field, box, grid),
            DistancesTo(predBorder, truthBorder, field, box, grid));
    }

    /// <summary>Distances (mm) from each <paramref name="queries"/> voxel to the nearest <paramref name="features"/> voxel, both box-local.</summary>
    static double[] DistancesTo(int[] features, int[] queries, double[] field, Box box, Grid grid)
    {
        var result = new double[queries.Length];
        if (features.Length == 0)
        {
            Array.Fill(result, double.PositiveInfinity); // nothing to reach
            return result;
        }
        if (queries.Length == 0) return result;
        Array.Fill(field, double.PositiveInfinity);
        foreach (int i in features) field[i] = 0;
        DistanceTransform.SquaredInPlace(field, box.D, box.H, box.W, grid.Sz, grid.Sy, grid.Sx);
        for (int i = 0; i < queries.Length; i++) result[i] = Math.Sqrt(field[queries[i]]);
        return result;
    }

    /// <summary>Box-local indices of the mask's border voxels, in row-major order.</summary>
    static int[] Border(ReadOnlySpan<byte> mask, Grid g, Box box)
    {
        var border = new List<int>();
        int local = 0;
        for (int z = box.Z0; z < box.Z0 + box.D; z++)
            for (int y = box.Y0; y < box.Y0 + box.H; y++)
            {
                int row = (z * g.H + y) * g.W;
                for (int x = box.X0; x < box.X0 + box.W; x++, local++)
                {
                    int i = row + x;
                    if (mask[i] == 0) continue;
                    bool inner =
                        x > 0 && mask[i - 1] != 0 && x < g.W - 1 && mask[i + 1] != 0 &&
                        y > 0 && mask[i - g.W] != 0 && y < g.H - 1 && mask[i + g.W] != 0 &&
                        (g.D == 1 || (z > 0 && mask[i - g.Plane] != 0 && z < g.D - 1 && mask[i + g.Plane] != 0));
                    if (!inner) border.Add(local);
                }
            }
        return border.ToArray();
    }

    /// <summary>The bounding box of the foreground of either mask.</summary>
    readonly record struct Box(int Z0, int Y0, int X0, int D, int H, int W)
    {
        public int Count => D * H * W;

        public static bool TryOfUnion(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Grid g, out Box box)
        {
            int z0 = int.MaxValue, z1 = -1, y0 = int.MaxValue, y1 = -1, x0 = int.MaxValue, x1 = -1;
            for (int z = 0; z < g.D; z++)
                for (int y = 0; y < g.H; y++)
                {
                    int row = (z * g.H + y) * g.W;
                    int first = FirstSet(a.Slice(row, g.W), b.Slice(row, g.W), out int last);
                    if (first < 0) continue;
                    z0 = Math.Min(z0, z); z1 = z;
                    y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                    x0 = Math.Min(x0, first); x1 = Math.Max(x1, last);
                }
            box = z1 < 0 ? default : new Box(z0, y0, x0, z1 - z0 + 1, y1 - y0 + 1, x1 - x0 + 1);
            return z1 >= 0;
        }

        /// <summary>First and last column set in either row (vectorised search), or −1.</summary>
        static int FirstSet(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out int last)
        {
            int fa = a.IndexOfAnyExcept((byte)0), fb = b.IndexOfAnyExcept((byte)0);
            last = Math.Max(a.LastIndexOfAnyExcept((byte)0), b.LastIndexOfAnyExcept((byte)0));
            return fa < 0 ? fb : fb < 0 ? fa : Math.Min(fa, fb);
        }
    }
}
