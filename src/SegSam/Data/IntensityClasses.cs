namespace SegSam.Data;

/// <summary>
/// Multi-level intensity classes: one-dimensional k-means of the voxels inside a mask, the
/// simplest form of the tissue classification (CSF / grey / white matter in a T1 brain) that
/// segmentation tools start from. Objects made from these classes have borders that are visible
/// in the image, unlike atlas parcels.
/// </summary>
public static class IntensityClasses
{
    /// <summary>
    /// Class per voxel: 0 outside <paramref name="mask"/>, else 1…<paramref name="k"/> in order of
    /// increasing class mean. Centres start at the (i + ½)/k quantiles; deterministic.
    /// </summary>
    public static int[] KMeans(ReadOnlySpan<float> values, ReadOnlySpan<bool> mask, int k, int iterations = 50)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), "k must be at least 2");
        if (values.Length != mask.Length) throw new ArgumentException("values and mask differ in length");
        var inside = new List<float>();
        for (int i = 0; i < values.Length; i++)
            if (mask[i]) inside.Add(values[i]);
        if (inside.Count < k) throw new ArgumentException($"the mask holds {inside.Count} voxel(s), fewer than the {k} classes");
        var sorted = inside.ToArray();
        Array.Sort(sorted);
        var centres = Enumerable.Range(0, k).Select(c => (double)sorted[(int)((c + 0.5) / k * (sorted.Length - 1))]).ToArray();
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            var sums = new double[k];
            var counts = new long[k];
            foreach (float v in sorted)
            {
                int c = Nearest(centres, v);
                sums[c] += v;
                counts[c]++;
            }
            bool moved = false;
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0) continue;
                double centre = sums[c] / counts[c];
                moved |= Math.Abs(centre - centres[c]) > 1e-6;
                centres[c] = centre;
            }
            Array.Sort(centres);
            if (!moved) break;
        }
        var classes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
            if (mask[i]) classes[i] = Nearest(centres, values[i]) + 1;
        return classes;
    }

    static int Nearest(double[] centres, double value)
    {
        int best = 0;
        for (int c = 1; c < centres.Length; c++)
            if (Math.Abs(value - centres[c]) < Math.Abs(value - centres[best])) best = c;
        return best;
    }
}
