using SegSam.Imaging;

namespace SegSam.Data;

/// <summary>Small geometry on 2D binary masks (row-major H×W) that prompt simulation needs.</summary>
public static class MaskGeometry
{
    /// <summary>Inclusive bounds (x0, y0, x1, y1) of the non-zero pixels of a row-major mask; throws for an empty mask.</summary>
    public static (int X0, int Y0, int X1, int Y1) Bounds(byte[] mask, int width)
    {
        int height = mask.Length / width;
        int x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            int x = i % width, y = i / width;
            x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
            y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
        }
        if (x1 < 0) throw new ArgumentException("the mask is empty");
        return (x0, y0, x1, y1);
    }

    /// <summary>Inclusive bounds of the largest 8-connected component (the first in row-major order among equals).</summary>
    public static (int X0, int Y0, int X1, int Y1) LargestComponentBounds(byte[] mask, int height, int width)
    {
        var components = ConnectedComponents.Label(mask, [height, width], 8);
        if (components.LargestLabel == 0) throw new ArgumentException("the mask is empty");
        return Bounds(components.Mask(components.LargestLabel), width);
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
