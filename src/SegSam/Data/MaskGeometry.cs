namespace SegSam.Data;

/// <summary>Small geometry on 2D binary masks (row-major H×W) that prompt simulation needs.</summary>
public static class MaskGeometry
{
    /// <summary>
    /// Bounds (x0, y0, x1, y1), x1/y1 exclusive, of the largest 8-connected component of a mask.
    /// Throws for an empty mask.
    /// </summary>
    public static (int X0, int Y0, int X1, int Y1) LargestComponentBounds(byte[] mask, int height, int width)
    {
        var labels = new int[mask.Length];
        var stack = new Stack<int>();
        int next = 0, bestSize = 0;
        (int, int, int, int) best = default;
        for (int start = 0; start < mask.Length; start++)
        {
            if (mask[start] == 0 || labels[start] != 0) continue;
            int id = ++next, size = 0;
            int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
            labels[start] = id;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int px = p % width, py = p / width;
                size++;
                x0 = Math.Min(x0, px); x1 = Math.Max(x1, px);
                y0 = Math.Min(y0, py); y1 = Math.Max(y1, py);
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = px + dx, ny = py + dy;
                    if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                    int q = ny * width + nx;
                    if (mask[q] == 0 || labels[q] != 0) continue;
                    labels[q] = id;
                    stack.Push(q);
                }
            }
            if (size > bestSize) (bestSize, best) = (size, (x0, y0, x1 + 1, y1 + 1));
        }
        if (bestSize == 0) throw new ArgumentException("the mask is empty");
        return best;
    }

    /// <summary>City-block distance of every object pixel to the nearest background pixel or image edge (0 outside).</summary>
    public static int[] DistanceToBackground(byte[] mask, int height, int width)
    {
        var d = new int[mask.Length];
        const int Far = int.MaxValue / 4;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = y * width + x;
            if (mask[i] == 0) continue;
            int up = y > 0 ? d[i - width] : 0, left = x > 0 ? d[i - 1] : 0;
            d[i] = Math.Min(Far, Math.Min(up, left) + 1);
        }
        for (int y = height - 1; y >= 0; y--)
        for (int x = width - 1; x >= 0; x--)
        {
            int i = y * width + x;
            if (mask[i] == 0) continue;
            int down = y < height - 1 ? d[i + width] : 0, right = x < width - 1 ? d[i + 1] : 0;
            d[i] = Math.Min(d[i], Math.Min(down, right) + 1);
        }
        return d;
    }
}
