namespace SegSam.Evaluation;

/// <summary>The connected components of a binary mask.</summary>
public sealed class ComponentLabels
{
    readonly int[] sizes;

    internal ComponentLabels(int[] labels, int[] sizes)
    {
        Labels = labels;
        this.sizes = sizes;
    }

    /// <summary>Per voxel: 0 for background, else the component's label 1 … <see cref="Count"/>,
    /// numbered in row-major order of each component's first voxel (as scipy.ndimage.label).</summary>
    public int[] Labels { get; }

    public int Count => sizes.Length;

    /// <summary>Voxel counts; element k − 1 is label k.</summary>
    public IReadOnlyList<int> Sizes => sizes;

    /// <summary>The label of the largest component (the lowest label among equals), or 0 when the mask is empty.</summary>
    public int LargestLabel
    {
        get
        {
            int best = 0;
            for (int k = 1; k <= sizes.Length; k++)
                if (best == 0 || sizes[k - 1] > sizes[best - 1]) best = k;
            return best;
        }
    }

    /// <summary>A 0/1 mask of one component.</summary>
    public byte[] Mask(int label)
    {
        if (label < 1 || label > Count) throw new ArgumentOutOfRangeException(nameof(label), label, $"labels run from 1 to {Count}");
        var mask = new byte[Labels.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = Labels[i] == label ? (byte)1 : (byte)0;
        return mask;
    }
}

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
