using SegSam.Data;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Data;

/// <summary>Class-agnostic objects: intensity classes, atlas resampling, pieces, and what the built-in data carries.</summary>
public class AgnosticObjectsTests
{
    [Fact]
    public void KMeansFindsTheIntensityLevelsInsideTheMaskDarkestFirst()
    {
        var rng = new SplitRandom(4);
        int[] level = new int[300];
        var values = new float[300];
        var mask = new bool[300];
        for (int i = 0; i < values.Length; i++)
        {
            level[i] = i % 3;
            // Levels 200, 40, 120 (not in class order) with ±10 noise; every tenth voxel outside.
            values[i] = new[] { 200f, 40f, 120f }[level[i]] + rng.Next(-10, 10);
            mask[i] = i % 10 != 0;
        }
        var classes = IntensityClasses.KMeans(values, mask, 3);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(mask[i] ? new[] { 3, 1, 2 }[level[i]] : 0, classes[i]);
        Assert.Throws<ArgumentException>(() => IntensityClasses.KMeans(values, new bool[300], 3));
    }

    [Fact]
    public void PiecesNumberEachConnectedPieceOfEachClass()
    {
        // 1 1 0 2
        // 0 0 0 2
        // 1 0 2 0   → class 1: two pieces, class 2: one piece (8-connected).
        int[] classes = [1, 1, 0, 2, 0, 0, 0, 2, 1, 0, 2, 0];
        Assert.Equal([1, 1, 0, 3, 0, 0, 0, 3, 2, 0, 3, 0], AgnosticObjects.Pieces(classes, 3, 4));
    }

    [Fact]
    public void NearestResamplingFollowsTheAffinesOfBothGrids()
    {
        // Source: 4×3×2 voxels of 2 mm, x flipped, origin shifted; target: 1 mm grid.
        var sourceAffine = new double[,] { { -2, 0, 0, 6 }, { 0, 2, 0, -2 }, { 0, 0, 2, 0 }, { 0, 0, 0, 1 } };
        var data = Enumerable.Range(1, 24).Select(v => (float)v).ToArray();
        var source = new Volume([4, 3, 2], data, sourceAffine);
        var target = new Volume([8, 6, 4], new float[192], Volume.Identity());
        var resampled = AgnosticObjects.ResampleNearest(source, target);
        for (int z = 0; z < 4; z++)
        for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
        {
            // World (x, y, z) is source voxel ((6 − x)/2, (y + 2)/2, z/2), rounded (half away from zero is not used: .NET rounds to even).
            int sx = (int)Math.Round((6 - x) / 2.0), sy = (int)Math.Round((y + 2) / 2.0), sz = (int)Math.Round(z / 2.0);
            bool inside = sx is >= 0 and < 4 && sy is >= 0 and < 3 && sz is >= 0 and < 2;
            Assert.Equal(inside ? source[sx, sy, sz] : 0, resampled[x, y, z]);
        }
    }
}
