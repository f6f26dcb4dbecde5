using SegSam.Data;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>
/// Propagation's stopping rules against scripted slice answers (no model): where the object
/// ends, leaks into a neighbour, or turns into another category; and the predictor's batches.
/// </summary>
public sealed class VolumeSegmenterTests
{
    const int W = 20, H = 20;

    /// <summary>An answer whose mask is a centred square of <paramref name="side"/> pixels, of class <paramref name="cls"/>.</summary>
    static SemanticPrediction Square(int side, int? cls = 0)
    {
        var mask = new byte[H * W];
        int from = (W - side) / 2;
        for (int y = from; y < from + side; y++)
            for (int x = from; x < from + side; x++) mask[y * W + x] = 1;
        return new SemanticPrediction(H, W, mask, 0.9f, null, cls, cls is null ? null : $"c{cls}", cls is null ? null : 0.8f);
    }

    /// <summary>Runs propagation from slice 10 of 0…19 over scripted answers (slice → side, class); records the slices asked and the boxes.</summary>
    static (SegmentedObject Object, List<int> Asked) Run(Func<int, (int Side, int? Cls)> script, VolumeSegmenter? rules = null, int first = 0, int last = 19)
    {
        var asked = new List<int>();
        var start = Square(script(10).Side, script(10).Cls);
        var result = (rules ?? new VolumeSegmenter()).Propagate(SliceAxis.Axial, 10, start, first, last, (k, prompt) =>
        {
            asked.Add(k);
            Assert.NotNull(prompt.Box); // each slice is prompted with the box of its neighbour's mask
            var (side, cls) = script(k);
            return Square(side, cls);
        });
        return (result, asked);
    }

    [Fact]
    public void It_stops_where_the_mask_becomes_too_small()
    {
        // The object spans slices 6…14: outside, the answers shrink below MinArea (4 pixels).
        var (obj, asked) = Run(k => (k is >= 6 and <= 14 ? 8 : 1, 0));
        Assert.Equal(Enumerable.Range(6, 9), obj.SliceMasks.Keys.Order());
        Assert.Equal([9, 8, 7, 6, 5, 11, 12, 13, 14, 15], asked);
        Assert.Equal(9 * 64, obj.VoxelCount);
    }

    [Fact]
    public void It_stops_where_the_mask_suddenly_grows_but_lets_small_tips_grow()
    {
        // From a small tip on slice 10 the mask grows fast (3 → 6 → 10 pixels wide), which is allowed
        // below the growth floor of 50 pixels; on slice 13 it leaks (10 → 16 wide: 2.56× the area).
        Func<int, (int, int?)> script = k => (k switch { 10 => 3, 11 => 6, 12 => 10, > 12 => 16, _ => 1 }, 0);
        var (obj, _) = Run(script);
        Assert.Equal([10, 11, 12], obj.SliceMasks.Keys.Order());
        var (tolerant, _) = Run(script, new VolumeSegmenter(maxGrowth: 3));
        Assert.Equal(19, tolerant.LastSlice);
    }

    [Fact]
    public void Slices_another_category_claims_end_the_run_and_are_dropped()
    {
        // From slice 13 on the slices are class 1: two of them in a row end the run (ClassPatience 2), both dropped.
        var (obj, asked) = Run(k => (8, k >= 13 ? 1 : 0));
        Assert.Equal(12, obj.LastSlice);
        Assert.Contains(14, asked);
        Assert.DoesNotContain(15, asked);
        // A single slice of another class between ones of the same class is kept.
        var (kept, _) = Run(k => (8, k == 13 ? 1 : 0));
        Assert.Contains(13, kept.SliceMasks.Keys);
        Assert.Equal(19, kept.LastSlice);
        // A binary model (no class) is never stopped by class.
        var (binary, _) = Run(k => (8, null));
        Assert.Equal(0, binary.FirstSlice);
    }

    [Fact]
    public void The_range_bounds_the_run_and_a_tiny_start_does_not_propagate()
    {
        var (bounded, asked) = Run(_ => (8, 0), first: 8, last: 11);
        Assert.Equal([8, 9, 10, 11], bounded.SliceMasks.Keys.Order());
        Assert.Equal([9, 8, 11], asked);
        var (tiny, none) = Run(k => (k == 10 ? 1 : 8, 0));
        Assert.Empty(none);
        Assert.Equal([10], tiny.SliceMasks.Keys);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new VolumeSegmenter().Propagate(SliceAxis.Axial, 10, Square(8), 0, 19, (_, _) => Square(8), cancel: cancelled.Token));
    }

    [Fact]
    public void A_batch_of_prompts_gives_each_prompt_its_own_answer()
    {
        manual_seed(3);
        using var model = new SegSamModel(TinySegSam.Config());
        using var predictor = new SegSamPredictor(model);
        var data = TinySegSam.Dataset(1);
        predictor.SetSlice(data.Slices[0].Image, 32, 32);
        SamPrompt[] boxes = [new() { Box = new BoxPrompt(1, 1, 12, 12) }, new() { Box = new BoxPrompt(10, 4, 30, 20) }, new() { Box = new BoxPrompt(0, 20, 16, 31) }];
        var batch = predictor.PredictBatch(boxes);
        for (int i = 0; i < boxes.Length; i++)
        {
            var single = predictor.Predict(boxes[i]);
            Assert.Equal(single.Mask, batch[i].Mask);
            Assert.Equal(single.ClassIndex, batch[i].ClassIndex);
            Assert.Equal(single.Iou, batch[i].Iou, 5);
        }
        SamPrompt[] clicks = [new() { Points = [new PointPrompt(5, 5, 1)] }, new() { Points = [new PointPrompt(20, 20, 1)] }];
        Assert.Equal(2, predictor.PredictBatch(clicks).Count);
        Assert.Throws<ArgumentException>(() => predictor.PredictBatch([boxes[0], clicks[0]]));
    }

    [Theory]
    [InlineData("sawd")]
    [InlineData("sawd_sem")]
    public void A_batch_decoded_in_several_passes_gives_the_one_pass_answers(string variant)
    {
        manual_seed(3);
        using var model = new SegSamModel(TinySegSam.Config(variant));
        using var whole = new SegSamPredictor(model);
        // Two prompts' category maps (2 × 3 categories × 32² floats) fit, three do not: passes of 2 and 1.
        using var passes = new SegSamPredictor(model) { PassBytes = 2 * 3 * 32 * 32 * sizeof(float) };
        Assert.True(whole.PromptsPerPass(multimask: true, 32) >= 3);
        Assert.Equal(2, passes.PromptsPerPass(multimask: false, 32));
        Assert.Equal(2, passes.PromptsPerPass(multimask: true, 32));
        var data = TinySegSam.Dataset(1);
        whole.SetSlice(data.Slices[0].Image, 32, 32);
        passes.SetSlice(data.Slices[0].Image, 32, 32);
        SamPrompt[] boxes = [new() { Box = new BoxPrompt(1, 1, 12, 12) }, new() { Box = new BoxPrompt(10, 4, 30, 20) }, new() { Box = new BoxPrompt(0, 20, 16, 31) }];
        SamPrompt[] clicks = [new() { Points = [new PointPrompt(5, 5, 1)] }, new() { Points = [new PointPrompt(20, 20, 1)] }, new() { Points = [new PointPrompt(28, 9, 1)] }];
        foreach (var prompts in new[] { boxes, clicks })
        {
            var expected = whole.PredictBatch(prompts);
            var actual = passes.PredictBatch(prompts);
            for (int i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(expected[i].Mask, actual[i].Mask);
                Assert.Equal(expected[i].SemanticMask, actual[i].SemanticMask);
                Assert.Equal(expected[i].ClassIndex, actual[i].ClassIndex);
                Assert.Equal(expected[i].Iou, actual[i].Iou, 5);
                Assert.Equal(expected[i].ClassProbabilities!, actual[i].ClassProbabilities!, (a, b) => Math.Abs(a - b) < 1e-5);
                Assert.Equal(expected[i].LowResLogits!, actual[i].LowResLogits!, (a, b) => Math.Abs(a - b) < 1e-5);
            }
        }
    }
}
