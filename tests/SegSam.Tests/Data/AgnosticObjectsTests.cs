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
    public void ReclassifiedSliceTakesItsIntensityClassesFromItsOwnImageInsideTheBrain()
    {
        // 4×6: a bright skull outside the brain (columns 0 and 5); inside, grey levels 20, 100, 101
        // and 200 by column. The stored class maps (all 2) are stale: made from another image.
        string[] maps = ["tissue-3", "tissue-3-pieces", "tissue-2", "tissue-4", "brain", "head", "brodmann"];
        var image = new float[24];
        var brain = new int[24];
        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 6; x++)
        {
            int i = y * 6 + x;
            bool inside = x is > 0 and < 5;
            brain[i] = inside ? 1 : 0;
            image[i] = !inside ? 250 : x == 1 ? 20 : x == 2 ? 100 : x == 3 ? 101 : 200;
        }
        var stale = Enumerable.Repeat(2, 24).ToArray();
        var atlas = Enumerable.Range(0, 24).ToArray();
        var slice = new LabelledSlice("s", 4, 6, image, new int[24]) { Objects = [stale, stale, stale, stale, brain, brain, atlas] };

        var result = AgnosticObjects.Reclassified(slice, maps);

        int[] Row(int m) => result.Objects[m][..6];
        Assert.Equal([0, 1, 2, 2, 3, 0], Row(0)); // darkest first, nothing outside the brain
        Assert.Equal([0, 1, 2, 2, 3, 0], Row(1)); // one piece per class here: each is a column band
        Assert.Equal([0, 1, 2, 2, 2, 0], Row(2));
        Assert.Equal([0, 1, 2, 3, 4, 0], Row(3));
        Assert.Same(brain, result.Objects[4]);
        Assert.Same(atlas, result.Objects[6]);
        Assert.Same(image, result.Image);
        // Without a brain map the slice is left as it is.
        Assert.Same(slice, AgnosticObjects.Reclassified(slice, ["tissue-3", "tissue-3-pieces", "tissue-2", "tissue-4", "head", "x", "y"]));
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
