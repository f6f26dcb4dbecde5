namespace SegSam.Imaging;

/// <summary>
/// The outlines of a binary mask as closed polygons along pixel edges ("crack following"):
/// pixel (column c, row r) is the square [c, c+1] × [r, r+1] of the vertex grid, so its centre
/// is (c + ½, r + ½). Every edge between a mask pixel and a non-mask pixel (or the border) lies
/// on exactly one polygon, hence filling the polygons with the even–odd rule at pixel centres
/// gives back the mask exactly. Each 4-connected region yields one outer polygon and one polygon
/// per hole; where two mask pixels touch only at a corner, the outline keeps them apart (it turns
/// so as to stay on the pixel it came along). Vertices where the direction does not change are
/// dropped. Outer polygons run counter-clockwise, holes clockwise, as drawn with y down.
/// </summary>
internal static class BoundaryTracer
{
    /// <summary>Polygons as (x, y) vertex-grid points; <paramref name="mask"/> is row-major, nonzero = inside.</summary>
    public static List<List<(int X, int Y)>> Trace(ReadOnlySpan<byte> mask, int rows, int columns)
    {
        if (mask.Length != rows * columns) throw new ArgumentException($"mask of {mask.Length} values is not {rows} × {columns}");
        int stride = columns + 1;
        // Directed edges, mask on the left when walking with y down: start vertex → (end vertex, owner pixel).
        var starts = new List<int>();
        var ends = new List<int>();
        var owners = new List<int>();
        var outgoing = new Dictionary<int, List<int>>();
        void Add(int x0, int y0, int x1, int y1, int owner)
        {
            int from = y0 * stride + x0;
            starts.Add(from);
            ends.Add(y1 * stride + x1);
            owners.Add(owner);
            if (!outgoing.TryGetValue(from, out var list)) outgoing[from] = list = new List<int>(2);
            list.Add(starts.Count - 1);
        }
        bool In(ReadOnlySpan<byte> m, int c, int r) => c >= 0 && r >= 0 && c < columns && r < rows && m[r * columns + c] != 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                if (mask[r * columns + c] == 0) continue;
                int p = r * columns + c;
                if (!In(mask, c, r - 1)) Add(c + 1, r, c, r, p);
                if (!In(mask, c - 1, r)) Add(c, r, c, r + 1, p);
                if (!In(mask, c, r + 1)) Add(c, r + 1, c + 1, r + 1, p);
                if (!In(mask, c + 1, r)) Add(c + 1, r + 1, c + 1, r, p);
            }

        var used = new bool[starts.Count];
        var polygons = new List<List<(int X, int Y)>>();
        for (int first = 0; first < starts.Count; first++)
        {
            if (used[first]) continue;
            var vertices = new List<int>();
            int edge = first;
            while (true)
            {
                used[edge] = true;
                vertices.Add(starts[edge]);
                // At a vertex with two ways on, the one along the same pixel: the successor of each
                // edge is then unique both ways, so the walk comes back to the first edge.
                var candidates = outgoing[ends[edge]];
                int next = candidates.Count == 1 || owners[candidates[0]] == owners[edge] ? candidates[0] : candidates[1];
                if (next == first) break;
                edge = next;
            }
            polygons.Add(Simplify(vertices, stride));
        }
        return polygons;
    }

    /// <summary>Drops vertices between two edges of the same direction.</summary>
    static List<(int X, int Y)> Simplify(List<int> vertices, int stride)
    {
        var points = vertices.Select(v => (X: v % stride, Y: v / stride)).ToList();
        var kept = new List<(int X, int Y)>();
        int n = points.Count;
        for (int i = 0; i < n; i++)
        {
            var prev = points[(i + n - 1) % n];
            var cur = points[i];
            var next = points[(i + 1) % n];
            bool straight = Math.Sign(cur.X - prev.X) == Math.Sign(next.X - cur.X) && Math.Sign(cur.Y - prev.Y) == Math.Sign(next.Y - cur.Y);
            if (!straight) kept.Add(cur);
        }
        return kept;
    }
}
