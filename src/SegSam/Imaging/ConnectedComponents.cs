namespace SegSam.Imaging;

/// <summary>
/// Connected-component labelling of binary masks (non-zero is foreground) on a 2D (H, W) grid
/// with 4- or 8-connectivity or a 3D (D, H, W) grid with 6- or 26-connectivity.
/// </summary>
public static class ConnectedComponents
{
    public static ComponentLabels Label(ReadOnlySpan<byte> mask, int[] dims, int connectivity)
    {
        var g = Grid.Of(dims, mask.Length);
        var offsets = Offsets(dims.Length, connectivity);
        var labels = new int[mask.Length];
        var sizes = new List<int>();
        var queue = new Queue<int>();
        for (int seed = 0; seed < mask.Length; seed++)
        {
            if (mask[seed] == 0 || labels[seed] != 0) continue;
            // Breadth-first flood fill from the first unlabelled voxel in row-major order.
            int label = sizes.Count + 1, size = 0;
            labels[seed] = label;
            queue.Enqueue(seed);
            while (queue.TryDequeue(out int i))
            {
                size++;
                int z = i / g.Plane, y = i % g.Plane / g.W, x = i % g.W;
                foreach (var (dz, dy, dx) in offsets)
                {
                    int nz = z + dz, ny = y + dy, nx = x + dx;
                    if ((uint)nz >= (uint)g.D || (uint)ny >= (uint)g.H || (uint)nx >= (uint)g.W) continue;
                    int n = (nz * g.H + ny) * g.W + nx;
                    if (mask[n] == 0 || labels[n] != 0) continue;
                    labels[n] = label;
                    queue.Enqueue(n);
                }
            }
            sizes.Add(size);
        }
        return new ComponentLabels(labels, sizes.ToArray());
    }

    /// <summary>A 0/1 mask of the largest component (all zero when the mask is empty).</summary>
    public static byte[] Largest(ReadOnlySpan<byte> mask, int[] dims, int connectivity)
    {
        var components = Label(mask, dims, connectivity);
        return components.Count == 0 ? new byte[mask.Length] : components.Mask(components.LargestLabel);
    }

    /// <summary>Neighbour steps (dz, dy, dx); a 2D grid is one plane, so its steps have dz = 0.</summary>
    static (int, int, int)[] Offsets(int rank, int connectivity)
    {
        bool full = (rank, connectivity) switch
        {
            (2, 4) or (3, 6) => false,
            (2, 8) or (3, 26) => true,
            _ => throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity,
                rank == 2 ? "2D connectivity is 4 or 8" : "3D connectivity is 6 or 26"),
        };
        int depth = rank == 3 ? 1 : 0;
        var steps = new List<(int, int, int)>();
        for (int dz = -depth; dz <= depth; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int moved = Math.Abs(dz) + Math.Abs(dy) + Math.Abs(dx);
                    if (moved == 1 || (full && moved > 1)) steps.Add((dz, dy, dx));
                }
        return steps.ToArray();
    }
}
