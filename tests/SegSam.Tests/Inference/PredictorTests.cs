using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Tests.Support;
using TorchSharp;
using SegSam.Data;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>SamPredictor semantics beyond the parity fixture: resizing, batching, validation.</summary>
public class PredictorTests
{
    static RasterImage RandomImage(int h, int w, int channels, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[h * w * channels];
        rng.NextBytes(data);
        return RasterImage.FromBytes(h, w, channels, data);
    }

    [Fact]
    public void PromptsOnALargerImageAreScaledIntoTheEncoderFrame()
    {
        // A 128×96 original resizes to 64×48; its prompts must land where the same prompts,
        // halved, land on the pre-resized image given with the original size.
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        var original = RandomImage(128, 96, 3, 1);
        predictor.SetImage(original);
        Assert.Equal((128, 96), predictor.OriginalSize);
        Assert.Equal((64, 48), predictor.InputSize);
        var prompt = new SamPrompt { Points = [new PointPrompt(40, 90, 1)], Box = new BoxPrompt(10, 20, 80, 120) };
        var direct = predictor.Predict(prompt);
        Assert.Equal((128, 96), (direct.Height, direct.Width));
        Assert.Equal(3, direct.Count);

        using var resized = new ResizeLongestSide(64).ApplyImage(original, 3);
        var hwc = resized[0].permute(1, 2, 0).contiguous().data<float>().ToArray();
        predictor.SetPreResizedImage(new RasterImage(64, 48, 3, hwc, true), (128, 96));
        var viaResized = predictor.Predict(prompt);
        Assert.Equal(direct.Logits, viaResized.Logits);
    }

    [Fact]
    public void GrayImagesAreRepeatedToThreeChannels()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        var gray = RandomImage(64, 64, 1, 2);
        var rgb = RasterImage.FromBytes(64, 64, 3, gray.Data.SelectMany(v => new[] { (byte)v, (byte)v, (byte)v }).ToArray());
        var prompt = new SamPrompt { Points = [new PointPrompt(20, 30, 1)] };
        predictor.SetImage(gray);
        var a = predictor.Predict(prompt);
        predictor.SetImage(rgb);
        var b = predictor.Predict(prompt);
        Assert.Equal(a.Logits, b.Logits);
    }

    [Fact]
    public void BatchedPromptsEqualOneByOnePredictions()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        predictor.SetImage(RandomImage(64, 64, 3, 3));
        double[][] boxes = [[5, 6, 30, 40], [10, 10, 60, 50], [0, 0, 64, 64]];
        using var scope = NewDisposeScope();
        var batchBoxes = tensor(boxes.SelectMany(b => b).ToArray(), [3, 4]);
        var coords = tensor(new double[] { 10, 12, 30, 30, 32, 32 }, [3, 1, 2]);
        var labels = tensor(new[] { 1, 0, 1 }, [3, 1]);
        using var batch = predictor.PredictTorch(coords, labels, batchBoxes, null, multimaskOutput: false, returnLogits: true);
        Assert.Equal(new long[] { 3, 1, 64, 64 }, batch.Masks.shape);
        for (int i = 0; i < 3; i++)
        {
            var single = predictor.Predict(new SamPrompt
            {
                Points = [new PointPrompt(coords[i, 0, 0].item<double>(), coords[i, 0, 1].item<double>(), labels[i, 0].item<int>())],
                Box = new BoxPrompt(boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3]),
            }, multimaskOutput: false);
            var fromBatch = batch.Masks[i].contiguous().data<float>().ToArray();
            for (int j = 0; j < fromBatch.Length; j++) Assert.True(Math.Abs(single.Logits[j] - fromBatch[j]) < 1e-5, $"prompt {i}, pixel {j}");
            Assert.True(Math.Abs(single.Iou[0] - batch.IouPredictions[i, 0].item<float>()) < 1e-5);
        }
        using var binary = predictor.PredictTorch(null, null, batchBoxes, null, multimaskOutput: true);
        Assert.True(binary.Masks.unique().output.data<float>().ToArray().All(v => v is 0 or 1));
    }

    [Fact]
    public void PromptsDecodedInSeveralPassesGiveTheOnePassResult()
    {
        using var model = TinyModels.Create();
        using var whole = new SamPredictor(model);
        // Two prompts' masks at the encoder size (2 × 64×64 floats) fit, three do not: passes of
        // 2, 2, 1 with one mask per prompt, of 1 with three.
        using var passes = new SamPredictor(model) { PassBytes = 2 * 64 * 64 * sizeof(float) };
        var image = RandomImage(48, 64, 3, 5);
        whole.SetImage(image);
        passes.SetImage(image);
        Assert.True(whole.PromptsPerPass(3, (48, 64)) >= 5);
        Assert.Equal(2, passes.PromptsPerPass(1, (48, 64)));
        Assert.Equal(1, passes.PromptsPerPass(3, (48, 64)));
        using var scope = NewDisposeScope();
        var boxes = tensor(new double[] { 5, 6, 30, 40, 10, 10, 60, 40, 0, 0, 64, 48, 20, 5, 50, 30, 1, 2, 9, 9 }, [5, 4]);
        var coords = tensor(new double[] { 10, 12, 30, 30, 32, 32, 40, 20, 5, 5 }, [5, 1, 2]);
        var labels = tensor(new[] { 1, 0, 1, 1, 0 }, [5, 1]);
        foreach (bool multimask in new[] { false, true })
        {
            using var expected = whole.PredictTorch(coords, labels, boxes, null, multimask, returnLogits: true);
            using var actual = passes.PredictTorch(coords, labels, boxes, null, multimask, returnLogits: true);
            Assert.Equal(new long[] { 5, multimask ? 3 : 1, 48, 64 }, actual.Masks.shape);
            Assert.True(expected.Masks.allclose(actual.Masks, rtol: 0, atol: 1e-5), "masks");
            Assert.True(expected.IouPredictions.allclose(actual.IouPredictions, rtol: 0, atol: 1e-5), "IoU");
            Assert.True(expected.LowResLogits.allclose(actual.LowResLogits, rtol: 0, atol: 1e-5), "low-res logits");
        }
    }

    [Fact]
    public void LowResOutputFeedsBackAsMaskPrompt()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        predictor.SetImage(RandomImage(64, 64, 3, 4));
        var first = predictor.Predict(new SamPrompt { Points = [new PointPrompt(20, 20, 1)] });
        var second = predictor.Predict(new SamPrompt { Points = [new PointPrompt(20, 20, 1)], MaskInput = first.LowRes(first.BestIndex) }, multimaskOutput: false);
        var withoutMask = predictor.Predict(new SamPrompt { Points = [new PointPrompt(20, 20, 1)] }, multimaskOutput: false);
        Assert.NotEqual(withoutMask.Logits, second.Logits);
    }

    [Fact]
    public void RestoredEmbeddingGivesTheSamePredictions()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        predictor.SetImage(RandomImage(50, 64, 3, 5));
        var prompt = new SamPrompt { Box = new BoxPrompt(3, 4, 40, 45) };
        var before = predictor.Predict(prompt);
        using var embedding = predictor.GetImageEmbedding();
        using var other = new SamPredictor(model);
        other.SetEmbedding(embedding, (50, 64));
        Assert.Equal(before.Logits, other.Predict(prompt).Logits);
    }

    [Theory]
    [InlineData(70, 10, 1, "outside")]
    [InlineData(-1, 10, 1, "outside")]
    [InlineData(10, 10, 2, "label")]
    [InlineData(double.NaN, 10, 1, "finite")]
    public void BadPointsAreRejected(double x, double y, int label, string expected)
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        predictor.SetImage(RandomImage(64, 64, 3, 6));
        var e = Assert.Throws<ArgumentException>(() => predictor.Predict(new SamPrompt { Points = [new PointPrompt(x, y, label)] }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InvertedBoxesWrongMaskInputsAndMissingImagesAreRejected()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        Assert.Throws<InvalidOperationException>(() => predictor.Predict(new SamPrompt()));
        predictor.SetImage(RandomImage(64, 64, 3, 7));
        Assert.Contains("inverted", Assert.Throws<ArgumentException>(() => predictor.Predict(new SamPrompt { Box = new BoxPrompt(40, 5, 10, 30) })).Message);
        Assert.Contains("32×32", Assert.Throws<ArgumentException>(() => predictor.Predict(new SamPrompt { MaskInput = new float[100] })).Message);
        using var badCoords = zeros(2, 3, 3);
        using var labels = zeros(2, 3);
        Assert.Contains("B×N×2", Assert.Throws<ArgumentException>(() => predictor.PredictTorch(badCoords, labels, null, null)).Message);
        using var coords = zeros(2, 3, 2);
        using var boxes = zeros(3, 4);
        Assert.Contains("batch", Assert.Throws<ArgumentException>(() => predictor.PredictTorch(coords, labels, boxes, null)).Message);
        Assert.Throws<ArgumentException>(() => predictor.SetPreResizedImage(RandomImage(32, 32, 3, 8), (64, 64)));
    }

    [Fact]
    public void ResizeShapeRoundsHalfUpLikeTheReference()
    {
        Assert.Equal((1024, 768), ResizeLongestSide.PreprocessShape(2048, 1536, 1024));
        Assert.Equal((256, 171), ResizeLongestSide.PreprocessShape(300, 200, 256)); // 170.67 → 171
        Assert.Equal((43, 256), ResizeLongestSide.PreprocessShape(100, 600, 256));  // 42.67 → 43
    }
}

/// <summary>A long run of predictions must not accumulate tensors or memory.</summary>
[Collection(Serial.Name)]
public class PredictorLeakTests
{
    [Fact]
    public void ThousandPredictionsLeaveNoTensorsBehind()
    {
        using var model = TinyModels.Create();
        using var predictor = new SamPredictor(model);
        var rng = new Random(9);
        var pixels = new byte[64 * 64 * 3];
        rng.NextBytes(pixels);
        predictor.SetImage(RasterImage.FromBytes(64, 64, 3, pixels));
        var prompt = new SamPrompt { Points = [new PointPrompt(10, 20, 1), new PointPrompt(40, 40, 0)], Box = new BoxPrompt(5, 5, 50, 60) };
        for (int i = 0; i < 20; i++) predictor.Predict(prompt); // warm-up
        // Finalise earlier tests' garbage now; after the loop there is no GC on purpose, so an
        // undisposed tensor from the loop would still be counted.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long tensorsBefore = torch.Tensor.TotalCount;
        for (int i = 0; i < 1000; i++)
        {
            var r = predictor.Predict(prompt, multimaskOutput: i % 2 == 0);
            Assert.Equal(i % 2 == 0 ? 3 : 1, r.Count);
        }
        Assert.Equal(tensorsBefore, torch.Tensor.TotalCount);
    }
}
