using SegSam.Data;
using SegSam.Inference;
using SegSam.Tests.Support;

namespace SegSam.Tests.Data;

/// <summary>SAM-Med2D prompt simulation on small hand-made masks.</summary>
public class PromptSamplerTests
{
    static LabelledSlice Slice()
    {
        // 10×10: label 1 is a 4×3 block at x 2..5, y 1..3 plus a stray pixel at (9, 9);
        // label 2 a single pixel (too small at 0.153 % of 100 pixels? 1 ≥ 0.153 → eligible).
        var labels = new int[100];
        for (int y = 1; y <= 3; y++)
        for (int x = 2; x <= 5; x++) labels[y * 10 + x] = 1;
        labels[99] = 1;
        labels[7 * 10 + 1] = 2;
        return new LabelledSlice("s", 10, 10, new float[100], labels);
    }

    [Fact]
    public void ExactBoxIsTheLargestComponentsInclusiveBounds()
    {
        var slice = Slice();
        var box = PromptSampler.ExactBox(slice.Mask(1), 10, 10);
        Assert.Equal(new BoxPrompt(2, 1, 5, 3), box); // the stray pixel at (9, 9) is ignored
        var objects = new PromptSampler().TestObjects(slice, box: true);
        Assert.Equal([1, 2], objects.Select(o => o.Label));
        Assert.Equal(new BoxPrompt(1, 7, 1, 7), objects[1].Prompt.Box);
    }

    [Fact]
    public void CentralPointLiesDeepestInsideTheObject()
    {
        var mask = new byte[49];
        for (int y = 1; y <= 5; y++)
        for (int x = 1; x <= 5; x++) mask[y * 7 + x] = 1;
        Assert.Equal(new PointPrompt(3, 3, 1), PromptSampler.CentralPoint(mask, 7, 7));
    }

    [Fact]
    public void TrainingPromptsStayOnTheObjectAndInsideTheImage()
    {
        var data = TinySegSam.Dataset(4);
        var sampler = new PromptSampler();
        var rng = new SplitRandom(3);
        foreach (var slice in data.Slices)
        {
            foreach (var obj in sampler.SampleTraining(slice, 20, 0.5, rng))
            {
                if (obj.Prompt.Box is { } b)
                {
                    var exact = PromptSampler.ExactBox(obj.Mask, slice.Height, slice.Width);
                    double w = exact.X1 - exact.X0, h = exact.Y1 - exact.Y0;
                    int max = Math.Min(5, (int)(Math.Min(w, h) * 0.5));
                    // One translation for both corners, within ±max, clamped to the image.
                    Assert.InRange(b.X0 - exact.X0, -max, max);
                    Assert.InRange(b.Y0 - exact.Y0, -max, max);
                    Assert.InRange(b.X0, 0, slice.Width - 1);
                    Assert.InRange(b.Y1, 0, slice.Height - 1);
                }
                else
                {
                    var p = Assert.Single(obj.Prompt.Points);
                    Assert.Equal(1, p.Label);
                    Assert.Equal(1, obj.Mask[(int)p.Y * slice.Width + (int)p.X]);
                }
                Assert.Equal(obj.Mask, slice.Mask(obj.Label));
            }
        }
    }

    [Fact]
    public void ObjectsBelowTheAreaThresholdAreDropped()
    {
        var slice = Slice();
        Assert.Equal([1], new PromptSampler(minAreaFraction: 0.02).Eligible(slice)); // label 2 has 1 % of the slice
        Assert.Empty(new PromptSampler(minAreaFraction: 0.5).SampleTraining(slice, 3, 1, new SplitRandom(1)));
    }

    [Fact]
    public void RandomStateRoundTrips()
    {
        var a = new SplitRandom(99);
        for (int i = 0; i < 10; i++) a.NextUInt64();
        var b = new SplitRandom(a.State);
        Assert.Equal(Enumerable.Range(0, 5).Select(_ => a.Next(1000)), Enumerable.Range(0, 5).Select(_ => b.Next(1000)));
    }

    static LabelledSlice WithObjects(LabelledSlice slice)
    {
        // Two maps: a 2×2 block (id 5) and, overlapping it, the left half of the slice (id 1).
        var block = new int[100];
        for (int y = 6; y <= 7; y++)
        for (int x = 6; x <= 7; x++) block[y * 10 + x] = 5;
        var half = Enumerable.Range(0, 100).Select(i => i % 10 < 5 ? 1 : 0).ToArray();
        return slice with { Objects = [block, half] };
    }

    [Fact]
    public void WithoutAnAgnosticShareTheObjectMapsChangeNothing()
    {
        var plain = Slice();
        var rngA = new SplitRandom(9);
        var rngB = new SplitRandom(9);
        var a = new PromptSampler().SampleTraining(plain, 6, 0.5, rngA);
        var b = new PromptSampler().SampleTraining(WithObjects(plain), 6, 0.5, rngB);
        Assert.Equal(a.Select(o => (o.Label, o.Prompt.Box, o.Prompt.Points.FirstOrDefault())), b.Select(o => (o.Label, o.Prompt.Box, o.Prompt.Points.FirstOrDefault())));
        Assert.Equal(rngA.State, rngB.State); // the same draws: older runs replay bit for bit
    }

    [Fact]
    public void AgnosticObjectsAreDrawnWithoutACategoryAndWithTheirOwnMasks()
    {
        var slice = WithObjects(Slice());
        var sampler = new PromptSampler();
        Assert.Equal([(0, 5), (1, 1)], sampler.EligibleObjects(slice));
        var objects = sampler.SampleTraining(slice, 40, 1, new SplitRandom(2), agnosticShare: 1);
        Assert.All(objects, o => Assert.Equal(0, o.Label));
        Assert.All(objects, o => Assert.True(o.Mask.SequenceEqual(slice.Objects[0].Select(v => v == 5 ? (byte)1 : (byte)0))
                                             || o.Mask.SequenceEqual(slice.Objects[1].Select(v => v == 1 ? (byte)1 : (byte)0))));
        Assert.Contains(objects, o => o.Mask.Count(v => v > 0) == 4);
        Assert.Contains(objects, o => o.Mask.Count(v => v > 0) == 50);

        var mixed = sampler.SampleTraining(slice, 200, 0.5, new SplitRandom(3), agnosticShare: 0.5);
        Assert.InRange(mixed.Count(o => o.Label == 0), 70, 130);
        // Map weights: a map of weight 0 is never drawn; 3 : 1 draws the first about three times as often.
        Assert.All(sampler.SampleTraining(slice, 50, 1, new SplitRandom(5), agnosticShare: 1, mapWeights: [1, 0]), o => Assert.Equal(4, o.Mask.Count(v => v > 0)));
        int blocks = sampler.SampleTraining(slice, 400, 1, new SplitRandom(6), agnosticShare: 1, mapWeights: [3, 1]).Count(o => o.Mask.Count(v => v > 0) == 4);
        Assert.InRange(blocks, 260, 340);
        // A slice with objects but no category is still usable.
        var unlabelled = slice with { Labels = new int[100] };
        Assert.All(sampler.SampleTraining(unlabelled, 5, 1, new SplitRandom(4), agnosticShare: 0.3), o => Assert.Equal(0, o.Label));
    }

    [Fact]
    public void CoreClicksLieAtLeastHalfAsDeepAsTheDeepestPixel()
    {
        // A 9×5 bar: depth (city block, the image edge counts as border) 1 on its rim, 3 along its middle row.
        var mask = new byte[11 * 7];
        for (int y = 1; y <= 5; y++)
        for (int x = 1; x <= 9; x++) mask[y * 11 + x] = 1;
        var depth = MaskGeometry.DistanceToBackground(mask, 7, 11);
        Assert.Equal(3, depth.Max());
        var rng = new SplitRandom(8);
        var clicks = Enumerable.Range(0, 300).Select(_ => PromptSampler.CorePoint(mask, 7, 11, rng)).ToList();
        Assert.All(clicks, p => Assert.True(depth[(int)p.Y * 11 + (int)p.X] >= 2, $"({p.X}, {p.Y}) lies on the rim"));
        // Uniform over the core (rows 2..4, columns 2..8 at depth ≥ 2): all 21 pixels turn up.
        Assert.Equal(21, clicks.Distinct().Count());
        Assert.All(clicks, p => Assert.Equal(1, p.Label));
        // A one-pixel object is its own core; an empty mask is an error.
        var dot = new byte[9];
        dot[4] = 1;
        Assert.Equal(new PointPrompt(1, 1, 1), PromptSampler.CorePoint(dot, 3, 3, rng));
        Assert.Throws<ArgumentException>(() => PromptSampler.CorePoint(new byte[9], 3, 3, rng));
    }

    [Fact]
    public void InteriorClickShareMovesTrainingClicksOffTheRimAndZeroKeepsTheOldDraws()
    {
        var data = TinySegSam.Dataset(2);
        var sampler = new PromptSampler();
        var slice = data.Slices[0];
        int Rim(IEnumerable<PromptedObject> objects) => objects.Count(o =>
        {
            var p = Assert.Single(o.Prompt.Points);
            var depth = MaskGeometry.DistanceToBackground(o.Mask, slice.Height, slice.Width);
            return depth[(int)p.Y * slice.Width + (int)p.X] * 2 < depth.Max();
        });
        var uniform = sampler.SampleTraining(slice, 300, 0, new SplitRandom(4));
        var interior = sampler.SampleTraining(slice, 300, 0, new SplitRandom(4), interiorClickShare: 1);
        Assert.True(Rim(uniform) > 30, $"uniform clicks: {Rim(uniform)} of 300 near the border");
        Assert.Equal(0, Rim(interior));
        Assert.All(interior, o => Assert.Equal(1, o.Mask[(int)o.Prompt.Points[0].Y * slice.Width + (int)o.Prompt.Points[0].X]));
        // A share of 0 draws nothing extra: the same prompts and random state as before the option.
        var rngA = new SplitRandom(5);
        var rngB = new SplitRandom(5);
        var a = sampler.SampleTraining(slice, 20, 0.5, rngA);
        var b = sampler.SampleTraining(slice, 20, 0.5, rngB, interiorClickShare: 0);
        Assert.Equal(a.Select(o => (o.Label, o.Prompt.Box, o.Prompt.Points.FirstOrDefault())), b.Select(o => (o.Label, o.Prompt.Box, o.Prompt.Points.FirstOrDefault())));
        Assert.Equal(rngA.State, rngB.State);
    }
}
