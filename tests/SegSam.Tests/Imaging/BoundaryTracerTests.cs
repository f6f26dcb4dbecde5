using SegSam.Imaging;

namespace SegSam.Tests.Imaging;

/// <summary>The pixel-edge outlines RTSTRUCT contours are made of: regions, holes, corner contacts, and exact even–odd refill.</summary>
public class BoundaryTracerTests
{
    static byte[] Mask(params string[] rows) => [.. rows.SelectMany(r => r.Select(c => c == '#' ? (byte)1 : (byte)0))];

    /// <summary>Twice the signed area (shoelace) in the y-down vertex grid: positive = counter-clockwise as drawn.</summary>
    static long Area2(List<(int X, int Y)> p) =>
        Enumerable.Range(0, p.Count).Sum(i => (long)p[i].Y * p[(i + 1) % p.Count].X - (long)p[i].X * p[(i + 1) % p.Count].Y);

    /// <summary>Even–odd fill of all polygons at the pixel centres (c + ½, r + ½).</summary>
    static byte[] Fill(List<List<(int X, int Y)>> polygons, int rows, int columns)
    {
        var mask = new byte[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double x = c + 0.5, y = r + 0.5;
                bool inside = false;
                foreach (var p in polygons)
                    for (int i = 0; i < p.Count; i++)
                    {
                        var (a, b) = (p[i], p[(i + 1) % p.Count]);
                        if ((a.Y > y) != (b.Y > y) && x < a.X + (y - a.Y) * (b.X - a.X) / (double)(b.Y - a.Y)) inside = !inside;
                    }
                mask[r * columns + c] = inside ? (byte)1 : (byte)0;
            }
        return mask;
    }

    [Fact]
    public void ASquareIsFourCornersCounterClockwise()
    {
        var polygons = BoundaryTracer.Trace(Mask("....", ".##.", ".##.", "...."), 4, 4);
        var square = Assert.Single(polygons);
        Assert.Equal(4, square.Count);
        Assert.Equal([(1, 1), (1, 3), (3, 1), (3, 3)], square.OrderBy(p => p.X).ThenBy(p => p.Y));
        Assert.Equal(8, Area2(square));   // 2 × area 4, counter-clockwise as drawn with y down
    }

    [Fact]
    public void ARingIsAnOuterContourAndAHoleInTheOtherDirection()
    {
        string[] rows = ["#####", "#...#", "#.#.#", "#...#", "#####"];
        var polygons = BoundaryTracer.Trace(Mask(rows), 5, 5);
        Assert.Equal(3, polygons.Count);   // the ring's outside, its hole, the island in the hole
        Assert.Equal([-18, 2, 50], polygons.Select(Area2).Order());
        Assert.Equal(Mask(rows), Fill(polygons, 5, 5));
    }

    [Fact]
    public void PixelsTouchingAtACornerAreSeparateRegions()
    {
        string[] rows = ["#..", ".#.", "..#"];
        var polygons = BoundaryTracer.Trace(Mask(rows), 3, 3);
        Assert.Equal(3, polygons.Count);
        Assert.All(polygons, p => Assert.Equal(4, p.Count));
        Assert.Equal(Mask(rows), Fill(polygons, 3, 3));
    }

    [Fact]
    public void RandomMasksFillBackExactly()
    {
        var random = new Random(15);
        for (int n = 0; n < 20; n++)
        {
            int rows = random.Next(1, 16), columns = random.Next(1, 16);
            var mask = Enumerable.Range(0, rows * columns).Select(_ => (byte)(random.NextDouble() < 0.45 ? 1 : 0)).ToArray();
            Assert.Equal(mask, Fill(BoundaryTracer.Trace(mask, rows, columns), rows, columns));
        }
    }
}
