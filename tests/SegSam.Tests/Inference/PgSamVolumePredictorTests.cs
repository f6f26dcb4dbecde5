using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Tests.Training;
using SegSam.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>The volume predictor against everything it does redone by hand, on tiny random PG-SAM models.</summary>
public class PgSamVolumePredictorTests
{
    /// <summary>255 · clamp((v + 125) / 400, 0, 1): HU [−125, 275] → [0, 1], on the prepared 0–255 scale.</summary>
    static float SynapseByHand(float hu) => (float)Math.Clamp((hu + 125.0) / 400.0 * 255.0, 0, 255);

    [Fact]
    public void CtRuleClipsHuToMinus125To275AndScales()
    {
        float[] hu = [-1000, -125, -25, 75, 175, 275, 3000];
        // (−25 + 125) / 400 = 0.25 → 63.75; 75 → 0.5 → 127.5; 175 → 0.75 → 191.25.
        Assert.Equal([0f, 0f, 63.75f, 127.5f, 191.25f, 255f, 255f], VolumeIntensity.SynapseCt.Apply(hu));
        Assert.Same(VolumeIntensity.SynapseCt, VolumeIntensity.Parse("ct"));
        Assert.Equal((75.0, 400.0), VolumeIntensity.SynapseCt.Window);
        Assert.Equal([0f, 127.5f, 255f], VolumeIntensity.Parse("CT", (40, 400)).Apply([-160, 40, 240]));
        float[] mr = [0, 10, 20, 30, 40, 50];
        Assert.Equal(Intensity.PercentileClip(mr), VolumeIntensity.Parse("mr").Apply(mr));
        Assert.Throws<ArgumentException>(() => VolumeIntensity.Parse("mr", (40, 400)));
        Assert.Contains("known: ct, mr", Assert.Throws<ArgumentException>(() => VolumeIntensity.Parse("pet")).Message);
    }

    [Fact]
    public void SlicesEqualPredictLabelsOnTheSameSlicesByHand()
    {
        using var model = TinyPgSam.Model();
        var volume = TinyPgSam.HuVolume();
        const int batch = 2;
        var prediction = new PgSamVolumePredictor(model, batch).Predict(volume, VolumeIntensity.SynapseCt, "case0007");

        // Geometry: the input's grid and affine, bit for bit.
        Assert.Equal(volume.Dims, prediction.Labels.Dims);
        Assert.Equal(volume.Affine, prediction.Labels.Affine);
        Assert.Equal(SliceAxis.Axial, prediction.Axis);

        // By hand: HU → prepared scale, RAS+ grid, axial slices as `prepare` cuts them, PredictLabels
        // on the same batches, nearest back to the slice (the pixel under each centre, floor((i + ½) · S / side)),
        // padding cropped.
        var hand = volume.WithData(volume.Data.Select(SynapseByHand).ToArray(), "float32");
        var ras = Orientation.Canonical(hand).Canonical;
        var (h, w) = SliceGeometry.SliceSize(ras.Dims, 2);
        Assert.NotEqual(h, w); // the padding matters
        int size = model.ImgSize, side = Math.Max(h, w), top = (side - h) / 2, left = (side - w) / 2;
        var ids = Enumerable.Range(0, ras.Dims[2]).Select(k => $"case0007-axial-{k:D3}").ToList();
        Assert.Equal(ids, prediction.SliceIds);
        using var text = PgSamPrior.TextInputs(model.Config, ids, null);
        var predictedRas = Orientation.Canonical(prediction.Labels).Canonical;
        var classes = new HashSet<int>();
        for (int start = 0; start < ids.Count; start += batch)
        {
            int n = Math.Min(batch, ids.Count - start);
            var pixels = Enumerable.Range(start, n)
                .SelectMany(k => SliceGeometry.SquareResize(SliceGeometry.Extract(ras, 2, k).Pixels, h, w, size, labels: false)).ToArray();
            using var input = tensor(pixels, [n, 1, size, size]);
            using var rows = text.narrow(0, start, n);
            using var labels = model.PredictLabels(input, rows);
            Assert.Equal(new long[] { n, size, size }, labels.shape);
            var flat = labels.data<long>().ToArray();
            for (int r = 0; r < n; r++)
            {
                var (got, gh, gw) = SliceGeometry.Extract(predictedRas, 2, start + r);
                Assert.Equal((h, w), (gh, gw));
                for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sy = Math.Min(size - 1, (int)Math.Floor((y + top + 0.5) * size / side));
                    int sx = Math.Min(size - 1, (int)Math.Floor((x + left + 0.5) * size / side));
                    long expected = flat[r * size * size + sy * size + sx];
                    Assert.True(expected == got[y * w + x], $"slice {start + r}, row {y}, column {x}: {got[y * w + x]} vs {expected}");
                    classes.Add((int)expected);
                }
            }
        }
        Assert.True(classes.Count > 1, "the random model should predict several classes, else the comparison proves little");
    }

    [Fact]
    public void BatchSizeDoesNotChangeTheVolumeBeyondRounding()
    {
        using var model = TinyPgSam.Model();
        var volume = TinyPgSam.HuVolume();
        var one = new PgSamVolumePredictor(model, 1).Predict(volume, VolumeIntensity.SynapseCt, "c").Labels.Data;
        var all = new PgSamVolumePredictor(model, 8).Predict(volume, VolumeIntensity.SynapseCt, "c").Labels.Data;
        // Different batch sizes may take other matmul kernels; an argmax may flip where two classes tie to rounding.
        double agree = one.Zip(all).Count(p => p.First == p.Second) / (double)one.Length;
        Assert.True(agree > 0.999, $"{agree:P3} of voxels agree");
    }

    [Fact]
    public void OtherAxesAndOneSliceImagesKeepTheGrid()
    {
        using var model = TinyPgSam.Model();
        var volume = TinyPgSam.HuVolume(ni: 10, nj: 12, nk: 6);
        var predictor = new PgSamVolumePredictor(model, 4);
        var sagittal = predictor.Predict(volume, VolumeIntensity.SynapseCt, "vol", axis: 0);
        Assert.Equal(0, sagittal.Axis);
        Assert.Equal(volume.Dims, sagittal.Labels.Dims);
        Assert.Equal(volume.Affine, sagittal.Labels.Affine);
        var ras = Orientation.Canonical(volume).Canonical;
        Assert.Equal(Enumerable.Range(0, ras.Dims[0]).Select(k => $"vol-sagittal-{k:D3}"), sagittal.SliceIds);
        Assert.All(sagittal.Labels.Data, v => Assert.InRange(v, 0, model.NumClasses - 1));
        Assert.Equal(volume.VoxelCount, sagittal.VoxelCounts(model.NumClasses).Sum());

        var picture = new Volume([14, 9, 1], volume.Data.Take(14 * 9).ToArray(), Volume.Identity());
        var flat = predictor.Predict(picture, VolumeIntensity.Mr, "picture");
        Assert.Equal(["picture"], flat.SliceIds); // as `prepare` names a one-slice image
        Assert.Equal(2, flat.Axis);
        Assert.Equal(picture.Dims, flat.Labels.Dims);
        Assert.Contains("flat (axial) axis", Assert.Throws<ArgumentException>(() => predictor.Predict(picture, VolumeIntensity.Mr, "picture", axis: 1)).Message);
        Assert.Equal([0, 1, 2], new[] { "sagittal", "coronal", "AXIAL" }.Select(SliceAxis.Parse));
    }

    [Fact]
    public void PerImageDescriptionsAreLookedUpBySliceId()
    {
        var config = PgSamTrainingTests.TinyConfig() with
        {
            Prior = PgSamTrainingTests.TinyConfig().Prior with { Descriptions = PgSamPriorConfig.PerImageDescriptions },
        };
        using var model = TinyPgSam.Model(config);
        using var dir = new TempDir();
        var volume = TinyPgSam.HuVolume(nk: 3);
        var texts = Enumerable.Range(0, 3).ToDictionary(k => $"case0002-axial-{k:D3}", k => $"an abdominal CT slice, level {k}");
        File.WriteAllText(dir.File("d.json"), System.Text.Json.JsonSerializer.Serialize(texts));
        var descriptions = SliceDescriptions.Load(dir.File("d.json"));
        var predictor = new PgSamVolumePredictor(model, 2);
        var withText = predictor.Predict(volume, VolumeIntensity.SynapseCt, "case0002", descriptions: descriptions);
        Assert.Equal(texts.Keys, withText.SliceIds);
        Assert.Contains("no description for slice 'case0003-axial-000'",
            Assert.Throws<InvalidDataException>(() => predictor.Predict(volume, VolumeIntensity.SynapseCt, "case0003", descriptions: descriptions)).Message);
        Assert.Contains("per-image descriptions", Assert.Throws<InvalidDataException>(() => predictor.Predict(volume, VolumeIntensity.SynapseCt, "case0002")).Message);
    }

    [Fact]
    public void RestoringLabelsIsNearestAndCropsThePadding()
    {
        // A 4×4 map back to a 2×3 slice (padded to 3×3, top row 0, left 0 → (3 − 2) / 2 = 0):
        // nearest 4 → 3 takes the rows/columns under the pixel centres, floor((i + ½) · 4/3) = 0, 2, 3;
        // the bottom padding row is cropped.
        using var labels = tensor(Enumerable.Range(0, 16).Select(v => (long)v).ToArray(), [1, 4, 4]);
        using var restored = SliceGeometry.SquareRestoreLabels(labels, 2, 3);
        Assert.Equal(new long[] { 1, 2, 3 }, restored.shape);
        Assert.Equal([0, 2, 3, 8, 10, 11], restored.data<int>().ToArray());
        using var same = SliceGeometry.SquareRestoreLabels(labels, 4, 2); // no resize; columns 1..2
        Assert.Equal([1, 2, 5, 6, 9, 10, 13, 14], same.data<int>().ToArray());
    }
}

/// <summary>Predicting volumes again and again leaves no tensor behind.</summary>
[Collection(Serial.Name)]
public class PgSamVolumeLeakTests
{
    [Fact]
    public void RepeatedVolumesLeaveNoTensorsBehind()
    {
        using var model = TinyPgSam.Model();
        var volume = TinyPgSam.HuVolume(nk: 7);
        var predictor = new PgSamVolumePredictor(model, 3);
        predictor.Predict(volume, VolumeIntensity.SynapseCt, "warm-up");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = torch.Tensor.TotalCount;
        for (int i = 0; i < 5; i++) predictor.Predict(volume, VolumeIntensity.SynapseCt, "case");
        Assert.Equal(before, torch.Tensor.TotalCount);
    }
}
