using SegSam.Data;

namespace SegSam.Tests.Data;

/// <summary>Augmentation: the left/right mirror keeps left regions left; appearance and contrast changes stay images; objects move with the pixels.</summary>
public class SliceAugmenterTests
{
    static LabelledSlice Slice()
    {
        // 6×8: categories A_L (label 1) on the left columns, A_R (2) on the right, Vermis (3) in the middle.
        var labels = new int[48];
        var image = new float[48];
        for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
        {
            labels[y * 8 + x] = x < 3 ? 1 : x > 4 ? 2 : 3;
            image[y * 8 + x] = 30 * x + y;
        }
        var block = new int[48];
        block[1 * 8 + 1] = block[1 * 8 + 2] = 7;
        return new LabelledSlice("s", 6, 8, image, labels) { Objects = [block] };
    }

    [Fact]
    public void LeftRightSwapPairsTheSidesByName()
    {
        Assert.Equal([0, 2, 1, 3, 4], SliceAugmenter.LeftRightSwap(["A_L", "A_R", "Vermis", "B_L"])); // B_L has no partner: unchanged
    }

    [Fact]
    public void MirroredSliceKeepsLeftRegionsLeftAndTwiceIsTheOriginal()
    {
        var slice = Slice();
        var swap = SliceAugmenter.LeftRightSwap(["A_L", "A_R", "Vermis"]);
        var flipped = SliceAugmenter.FlipLeftRight(slice, swap);
        Assert.Equal(slice.Image[0 * 8 + 7], flipped.Image[0]);
        // A region's name follows the side of the image it lies on, as in every unmirrored slice:
        // the left columns (from the right, A_R) are named A_L.
        Assert.Equal(1, flipped.Labels[0]);
        Assert.Equal(2, flipped.Labels[7]);
        Assert.Equal(7, flipped.Objects[0][1 * 8 + 6]);
        var back = SliceAugmenter.FlipLeftRight(flipped, swap);
        Assert.Equal(slice.Image, back.Image);
        Assert.Equal(slice.Labels, back.Labels);
        Assert.Equal(slice.Objects[0], back.Objects[0]);
    }

    [Fact]
    public void AppearanceChangesAreSeededImagesThatLeaveTheLabelsAlone()
    {
        var slice = Slice();
        var a = SliceAugmenter.AugmentAppearance(slice, new SplitRandom(5), brainMap: 0);
        var b = SliceAugmenter.AugmentAppearance(slice, new SplitRandom(5), brainMap: 0);
        Assert.Equal(a.Image, b.Image);
        Assert.NotEqual(slice.Image, a.Image);
        Assert.All(a.Image, v => Assert.InRange(v, 0f, 255f));
        Assert.Same(slice.Labels, a.Labels);
        // Over many draws, some are brain-only: everything outside the brain map's object is zero.
        static bool BrainOnly(LabelledSlice s) => Enumerable.Range(0, 48).All(i => i is 9 or 10 || s.Image[i] == 0);
        var draws = Enumerable.Range(0, 40).Select(seed => SliceAugmenter.AugmentAppearance(slice, new SplitRandom((ulong)seed), brainMap: 0)).ToList();
        Assert.InRange(draws.Count(BrainOnly), 3, 20);
        Assert.DoesNotContain(Enumerable.Range(0, 40).Select(seed => SliceAugmenter.AugmentAppearance(slice, new SplitRandom((ulong)seed))), BrainOnly);
    }

    [Fact]
    public void ContrastRemapKeepsTheOrderAndTheEndsButMovesTissuesApartOrTogether()
    {
        var ramp = new LabelledSlice("ramp", 1, 256, Enumerable.Range(0, 256).Select(v => (float)v).ToArray(), new int[256]);
        var a = SliceAugmenter.RemapContrast(ramp, new SplitRandom(3));
        Assert.Equal(a.Image, SliceAugmenter.RemapContrast(ramp, new SplitRandom(3)).Image);
        Assert.Same(ramp.Labels, a.Labels);
        var ratios = new List<double>();
        for (int seed = 0; seed < 40; seed++)
        {
            var image = SliceAugmenter.RemapContrast(ramp, new SplitRandom((ulong)seed)).Image;
            Assert.Equal(0f, image[0]);
            Assert.Equal(255f, image[255], 3);
            for (int v = 1; v < 256; v++) Assert.True(image[v] > image[v - 1], $"seed {seed}: not increasing at {v}");
            // ch2's grey and white matter lie near 106 and 140 (0–255): their gap after the curve, over before.
            ratios.Add((image[140] - image[106]) / 34.0);
        }
        // The gap shrinks on some draws and widens on others, up to about twice (slopes e^±0.7 ≈ ½–2).
        Assert.InRange(ratios.Min(), 0.25, 0.9);
        Assert.InRange(ratios.Max(), 1.2, 3.0);
    }

    [Fact]
    public void GeometricAugmentationMovesObjectMapsWithTheLabels()
    {
        var slice = Slice() with { Objects = [Slice().Labels] }; // an object map equal to the label map
        var augmented = SliceAugmenter.Augment(slice, new SplitRandom(11));
        Assert.Equal(augmented.Labels, augmented.Objects[0]);
    }
}
