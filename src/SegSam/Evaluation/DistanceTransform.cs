using System.Collections.Concurrent;

namespace SegSam.Evaluation;

/// <summary>
/// Exact squared Euclidean distance transform with anisotropic spacing, after Felzenszwalb and
/// Huttenlocher, "Distance Transforms of Sampled Functions" (Theory of Computing, 2012): the 3D
/// transform is three 1D passes (x, then y, then z), each taking the lower envelope of the
/// parabolas rooted at the previous pass's values, so the total cost is O(N).
/// </summary>
internal static class DistanceTransform
{
    /// <summary>
    /// Replaces <paramref name="f"/> (a d×h×w row-major grid holding 0 at feature voxels and
    /// +∞ elsewhere) with each voxel's squared distance, in mm², to the nearest feature voxel;
    /// +∞ remains where there is no feature at all.
    /// </summary>
    public static void SquaredInPlace(double[] f, int d, int h, int w, double sz, double sy, double sx)
    {
        Pass(f, lines: d * h, n: w, stride: 1, line => line * w, sx);
        Pass(f, lines: d * w, n: h, stride: w, line => line / w * h * w + line % w, sy);
        Pass(f, lines: h * w, n: d, stride: h * w, line => line, sz);
    }

    static void Pass(double[] f, int lines, int n, int stride, Func<int, int> start, double spacing)
    {
        if (n == 1) return; // one voxel per line: nothing moves
        // Lines are independent; a range per task keeps the scratch buffers per thread.
        Parallel.ForEach(Partitioner.Create(0, lines, Math.Max(64, lines / (4 * Environment.ProcessorCount) + 1)), range =>
        {
            var values = new double[n];
            var roots = new int[n];
            var bounds = new double[n + 1];
            for (int line = range.Item1; line < range.Item2; line++)
            {
                int s = start(line);
                for (int i = 0; i < n; i++) values[i] = f[s + i * stride];
                Envelope(values, roots, bounds, n, spacing, f, s, stride);
            }
        });
    }

    /// <summary>
    /// One 1D pass: out[p] = min_q values[q] + (spacing·(p − q))², written to f[s + p·stride].
    /// Positions are in voxel units; the intersection of two parabolas is where they are equal.
    /// </summary>
    static void Envelope(double[] values, int[] roots, double[] bounds, int n, double spacing, double[] f, int s, int stride)
    {
        double s2 = spacing * spacing;
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            double fq = values[q];
            if (double.IsPositiveInfinity(fq)) continue; // an infinite parabola is never lowest
            if (k < 0)
            {
                k = 0;
                roots[0] = q;
                bounds[0] = double.NegativeInfinity;
                continue;
            }
            double cross;
            while (true)
            {
                int v = roots[k];
                cross = ((fq - values[v]) / s2 + ((double)q * q - (double)v * v)) / (2.0 * (q - v));
                if (cross > bounds[k]) break;
                k--; // bounds[0] = −∞ stops this before k goes negative
            }
            k++;
            roots[k] = q;
            bounds[k] = cross;
        }
        if (k < 0) return; // no feature on this line: it stays +∞
        bounds[k + 1] = double.PositiveInfinity;

        int j = 0;
        for (int p = 0; p < n; p++)
        {
            while (bounds[j + 1] < p) j++;
            int v = roots[j];
            double dv = spacing * (p - v);
            f[s + p * stride] = dv * dv + values[v];
        }
    }
}
