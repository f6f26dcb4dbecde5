using System.Text.Json;
using SegSam.Evaluation;
using SegSam.Tests.Support;
using SegSam.Imaging;

namespace SegSam.Tests.Evaluation;

/// <summary>
/// Reference results from scipy, computed once per test run: medpy's HD95 recipe (erosion
/// borders, distance_transform_edt with sampling) and voxel-border NSD on random blobs, and
/// scipy.ndimage.label on random masks.
/// </summary>
public sealed class ScipyReference
{
    const string Script = """
        import base64, json
        import numpy as np
        from scipy import ndimage as ndi

        rng = np.random.default_rng(20240611)
        b64 = lambda a: base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()

        def smooth(shape, sigma):
            return ndi.gaussian_filter(rng.standard_normal(shape), sigma)

        def border(m):
            return m ^ ndi.binary_erosion(m, structure=ndi.generate_binary_structure(m.ndim, 1), iterations=1)

        def directed(a, b, spacing):
            # medpy's __surface_distances: border voxels of a to the nearest border voxel of b
            return ndi.distance_transform_edt(~border(b), sampling=spacing)[border(a)]

        surface = []
        # (shape, spacing, blob smoothness, how far the prediction strays, its threshold)
        for shape, spacing, sigma, stray, level in [
                ((48, 64), (0.7, 1.3), 3.0, 0.6, 0.2), ((30, 30), (1.0, 1.0), 2.0, 0.6, 0.2),
                ((40, 36), (1.0, 0.55), 4.0, 4.0, 1.5),
                ((12, 24, 20), (2.5, 0.8, 0.8), 2.0, 0.6, 0.2), ((16, 16, 16), (1.0, 0.6, 1.7), 1.5, 0.6, 0.2),
                ((20, 9, 33), (0.9, 1.1, 0.45), 1.0, 0.6, 0.2), ((14, 30, 26), (3.0, 0.7, 0.9), 3.0, 3.0, 1.5)]:
            base = smooth(shape, sigma)
            gt = base > 0.3 * base.std()
            jitter = smooth(shape, sigma)
            noisy = base + stray * base.std() * jitter / jitter.std()
            pred = noisy > level * noisy.std()
            assert gt.any() and pred.any()
            d1, d2 = directed(pred, gt, spacing), directed(gt, pred, spacing)
            both = np.hstack((d1, d2))
            taus = [0.35, 1.05, 2.3, 3.7]
            surface.append(dict(dims=list(shape), spacing=list(spacing),
                pred=b64(pred.astype(np.uint8)), gt=b64(gt.astype(np.uint8)),
                hd95=float(np.percentile(both, 95)),
                hd95_max=float(max(np.percentile(d1, 95), np.percentile(d2, 95))),
                taus=taus, nsd=[float(((d1 <= t).sum() + (d2 <= t).sum()) / both.size) for t in taus]))

        components = []
        for shape, density in [((40, 50), 0.45), ((25, 31), 0.6), ((10, 14, 12), 0.3), ((9, 11, 13), 0.5)]:
            mask = rng.random(shape) < density
            for full in (False, True):
                labels, count = ndi.label(mask, structure=ndi.generate_binary_structure(mask.ndim, mask.ndim if full else 1))
                components.append(dict(dims=list(shape), connectivity=(3 ** mask.ndim - 1) if full else 2 * mask.ndim,
                    mask=b64(mask.astype(np.uint8)), labels=b64(labels.astype('<i4')), count=int(count)))

        print(json.dumps(dict(surface=surface, components=components)))
        """;

    public sealed record SurfaceCase(int[] Dims, double[] Spacing, byte[] Pred, byte[] Gt, double Hd95, double Hd95Max, double[] Taus, double[] Nsd);

    public sealed record ComponentCase(int[] Dims, int Connectivity, byte[] Mask, int[] Labels, int Count);

    public IReadOnlyList<SurfaceCase> Surface { get; }
    public IReadOnlyList<ComponentCase> Components { get; }

    public ScipyReference()
    {
        using var doc = JsonDocument.Parse(Python.Run(Script).StdOut);
        Surface = doc.RootElement.GetProperty("surface").EnumerateArray().Select(c => new SurfaceCase(
            Ints(c, "dims"), Doubles(c, "spacing"),
            Convert.FromBase64String(c.GetProperty("pred").GetString()!), Convert.FromBase64String(c.GetProperty("gt").GetString()!),
            c.GetProperty("hd95").GetDouble(), c.GetProperty("hd95_max").GetDouble(), Doubles(c, "taus"), Doubles(c, "nsd"))).ToArray();
        Components = doc.RootElement.GetProperty("components").EnumerateArray().Select(c =>
        {
            byte[] raw = Convert.FromBase64String(c.GetProperty("labels").GetString()!);
            var labels = new int[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, labels, 0, raw.Length); // little-endian int32, as on this machine
            return new ComponentCase(Ints(c, "dims"), c.GetProperty("connectivity").GetInt32(),
                Convert.FromBase64String(c.GetProperty("mask").GetString()!), labels, c.GetProperty("count").GetInt32());
        }).ToArray();
    }

    static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
    static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
}

public class MetricsTests(ScipyReference scipy) : IClassFixture<ScipyReference>
{
    static readonly int[] Square2D = [16, 20];

    /// <summary>A 0/1 mask with the given boxes (inclusive bounds, one (lo, hi) pair per dimension) set.</summary>
    static byte[] Boxes(int[] dims, params int[][] boxes)
    {
        var mask = new byte[dims.Aggregate(1, (a, d) => a * d)];
        int[] d3 = dims.Length == 3 ? dims : [1, dims[0], dims[1]];
        foreach (var b in boxes)
        {
            int[] b3 = b.Length == 6 ? b : [0, 0, b[0], b[1], b[2], b[3]];
            for (int z = b3[0]; z <= b3[1]; z++)
                for (int y = b3[2]; y <= b3[3]; y++)
                    for (int x = b3[4]; x <= b3[5]; x++)
                        mask[(z * d3[1] + y) * d3[2] + x] = 1;
        }
        return mask;
    }

    // Two 5×5 squares, the prediction two pixels right of the truth.
    static readonly byte[] TruthSquare = Boxes(Square2D, [5, 9, 5, 9]);
    static readonly byte[] ShiftedSquare = Boxes(Square2D, [5, 9, 7, 11]);

    [Fact]
    public void DiceAndIouOfSmallMasks()
    {
        byte[] pred = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
        byte[] truth = [0, 1, 1, 1, 1, 1, 1, 0, 0, 0];
        Assert.Equal(new OverlapCounts(3, 4, 6), OverlapMetrics.Count(pred, truth));
        Assert.Equal(0.6, OverlapMetrics.Dice(pred, truth), 12);
        Assert.Equal(3.0 / 7, OverlapMetrics.Iou(pred, truth), 12);
        // Any non-zero byte is foreground.
        Assert.Equal(1.0, OverlapMetrics.Dice([255, 0, 7], [1, 0, 1]));
        Assert.Equal(2.0 * 15 / 50, OverlapMetrics.Dice(ShiftedSquare, TruthSquare), 12);
        Assert.Equal(15.0 / 35, OverlapMetrics.Iou(ShiftedSquare, TruthSquare), 12);
    }

    [Fact]
    public void OverlapOfEmptyMasks()
    {
        var empty = new byte[4];
        byte[] some = [0, 1, 0, 0];
        Assert.Equal(1.0, OverlapMetrics.Dice(empty, empty));
        Assert.Equal(1.0, OverlapMetrics.Iou(empty, empty));
        Assert.Equal(0.0, OverlapMetrics.Dice(some, empty));
        Assert.Equal(0.0, OverlapMetrics.Iou(empty, some));
        Assert.Throws<ArgumentException>(() => OverlapMetrics.Dice(some, new byte[3]));
    }

    [Fact]
    public void SquaresOffsetByTwoPixels()
    {
        // Each way the 16 border pixels lie at 0 (×6), 1 (×4) and 2 (×6) pixels from the other border.
        var d = SurfaceMetrics.Distances(ShiftedSquare, TruthSquare, Square2D, [1, 1]);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2 }, d.PredictionToTruth.Order());
        Assert.Equal(d.PredictionToTruth.Order(), d.TruthToPrediction.Order());
        Assert.Equal(2.0, d.Hd95(), 12);
        Assert.Equal(2.0, d.Hd95MaxOfDirected(), 12);
        Assert.Equal(12.0 / 32, d.Nsd(0), 12);
        Assert.Equal(20.0 / 32, d.Nsd(1), 12);
        Assert.Equal(1.0, d.Nsd(2), 12);
    }

    [Fact]
    public void SquaresOffsetWithAnisotropicSpacing()
    {
        // Rows 2 mm apart, columns 0.5 mm: the two-column shift is 1 mm, and the nearest border
        // is always along the row. Each way: 0 (×6), 0.5 (×2), 1 (×8) mm.
        var d = SurfaceMetrics.Distances(ShiftedSquare, TruthSquare, Square2D, [2.0, 0.5]);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1 }, d.PredictionToTruth.Order());
        Assert.Equal(d.PredictionToTruth.Order(), d.TruthToPrediction.Order());
        Assert.Equal(1.0, SurfaceMetrics.Hd95(ShiftedSquare, TruthSquare, Square2D, [2.0, 0.5]), 12);
        Assert.Equal(0.5, SurfaceMetrics.Nsd(ShiftedSquare, TruthSquare, Square2D, [2.0, 0.5], 0.5), 12);
    }

    [Fact]
    public void PooledPercentileDiffersFromTheLargerDirectedOne()
    {
        // A one-row grid: every pixel touches the grid edge, so all are border. The line 0…4
        // against pixel 0 gives 0, 1, 2, 3, 4 one way and 0 the other.
        int[] dims = [1, 10];
        var line = Boxes(dims, [0, 0, 0, 4]);
        var dot = Boxes(dims, [0, 0, 0, 0]);
        var d = SurfaceMetrics.Distances(line, dot, dims, [1, 1]);
        Assert.Equal(3.75, d.Hd95(), 12);            // numpy.percentile([0,0,1,2,3,4], 95)
        Assert.Equal(3.8, d.Hd95MaxOfDirected(), 12); // numpy.percentile([0,1,2,3,4], 95)
        Assert.Equal(4.0 / 6, d.Nsd(2), 12);
        Assert.Equal(1.875, SurfaceMetrics.Hd95(line, dot, dims, [3, 0.5]), 12);
    }

    [Fact]
    public void CubeAgainstItsCentreVoxel()
    {
        // The 3×3×3 cube's border is all but its centre: 6 face, 12 edge and 8 corner voxels.
        int[] dims = [5, 5, 5];
        var cube = Boxes(dims, [1, 3, 1, 3, 1, 3]);
        var centre = Boxes(dims, [2, 2, 2, 2, 2, 2]);
        var unit = SurfaceMetrics.Distances(cube, centre, dims, [1, 1, 1]);
        Assert.Equal(26, unit.PredictionToTruth.Count);
        Assert.Equal(new double[] { 1 }, unit.TruthToPrediction);
        Assert.Equal(Math.Sqrt(3), unit.Hd95(), 12);

        // 2 mm between slices: faces at 1 (×4) and 2 (×2), edges at √2 (×4) and √5 (×8), corners at √6.
        var slab = SurfaceMetrics.Distances(cube, centre, dims, [2, 1, 1]);
        Assert.Equal(Math.Sqrt(6), slab.Hd95(), 12);
        Assert.Equal(Math.Sqrt(6), slab.Hd95MaxOfDirected(), 12);
        Assert.Equal(9.0 / 27, slab.Nsd(1.5), 12);
    }

    [Fact]
    public void SingleVoxelMasks()
    {
        int[] dims = [4, 4, 4];
        var a = Boxes(dims, [0, 0, 0, 0, 0, 0]);
        var b = Boxes(dims, [2, 2, 1, 1, 1, 1]);
        double expected = Math.Sqrt(5.0 * 5.0 + 0.8 * 0.8 + 0.8 * 0.8); // (2, 1, 1) voxels at (2.5, 0.8, 0.8) mm
        Assert.Equal(expected, SurfaceMetrics.Hd95(a, b, dims, [2.5, 0.8, 0.8]), 12);
        Assert.Equal(0.0, SurfaceMetrics.Nsd(a, b, dims, [2.5, 0.8, 0.8], 5.0));
        Assert.Equal(1.0, SurfaceMetrics.Nsd(a, b, dims, [2.5, 0.8, 0.8], 5.2));
        Assert.Equal(0.0, SurfaceMetrics.Hd95(a, a, dims, [2.5, 0.8, 0.8]));
        Assert.Equal(1.0, SurfaceMetrics.Nsd(a, a, dims, [2.5, 0.8, 0.8], 0));
    }

    [Fact]
    public void SurfaceMetricsOfEmptyMasks()
    {
        int[] dims = [3, 4];
        var empty = new byte[12];
        var some = Boxes(dims, [1, 2, 1, 2]);
        Assert.Equal(0.0, SurfaceMetrics.Hd95(empty, empty, dims, [1, 1]));
        Assert.Equal(1.0, SurfaceMetrics.Nsd(empty, empty, dims, [1, 1], 1));
        Assert.True(double.IsNaN(SurfaceMetrics.Hd95(empty, some, dims, [1, 1])));
        Assert.True(double.IsNaN(SurfaceMetrics.Hd95(some, empty, dims, [1, 1])));
        Assert.True(double.IsNaN(SurfaceMetrics.Distances(some, empty, dims, [1, 1]).Hd95MaxOfDirected()));
        Assert.Equal(0.0, SurfaceMetrics.Nsd(empty, some, dims, [1, 1], 100));
        Assert.Equal(0.0, SurfaceMetrics.Nsd(some, empty, dims, [1, 1], 100));
        var d = SurfaceMetrics.Distances(some, empty, dims, [1, 1]);
        Assert.Equal(4, d.PredictionToTruth.Count);
        Assert.All(d.PredictionToTruth, v => Assert.True(double.IsPositiveInfinity(v)));
        Assert.Empty(d.TruthToPrediction);
    }

    [Fact]
    public void SurfaceMetricsRejectBadGrids()
    {
        var mask = new byte[12];
        Assert.Throws<ArgumentException>(() => SurfaceMetrics.Hd95(mask, mask, [3, 5], [1, 1]));
        Assert.Throws<ArgumentException>(() => SurfaceMetrics.Hd95(mask, mask, [3, 4], [1, 1, 1]));
        Assert.Throws<ArgumentException>(() => SurfaceMetrics.Hd95(mask, mask, [3, 4], [1, 0]));
        Assert.Throws<ArgumentException>(() => SurfaceMetrics.Hd95(mask, mask, [12], [1]));
        Assert.Throws<ArgumentException>(() => SurfaceMetrics.Hd95(mask, new byte[11], [3, 4], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SurfaceMetrics.Nsd(mask, mask, [3, 4], [1, 1], -1));
    }

    [Fact]
    public void SurfaceMetricsMatchScipyOnRandomBlobs()
    {
        foreach (var c in scipy.Surface)
        {
            string name = $"[{string.Join("×", c.Dims)}] spacing [{string.Join(", ", c.Spacing)}]";
            var d = SurfaceMetrics.Distances(c.Pred, c.Gt, c.Dims, c.Spacing);
            Assert.True(Math.Abs(c.Hd95 - d.Hd95()) < 1e-6, $"{name}: HD95 {d.Hd95()} vs scipy {c.Hd95}");
            Assert.True(Math.Abs(c.Hd95Max - d.Hd95MaxOfDirected()) < 1e-6, $"{name}: directed HD95 {d.Hd95MaxOfDirected()} vs scipy {c.Hd95Max}");
            for (int t = 0; t < c.Taus.Length; t++)
                Assert.True(Math.Abs(c.Nsd[t] - d.Nsd(c.Taus[t])) < 1e-9, $"{name}: NSD@{c.Taus[t]} {d.Nsd(c.Taus[t])} vs scipy {c.Nsd[t]}");
        }
    }

    [Fact]
    public void SynapseRules()
    {
        var empty = new byte[TruthSquare.Length];
        var both = SynapseCase.Compute(ShiftedSquare, TruthSquare, Square2D, [2.0, 0.5]);
        Assert.Equal(0.6, both.Dice, 12);
        Assert.Equal(2.0, both.Hd95Voxels, 12);
        Assert.Equal(1.0, both.Hd95Mm, 12);
        Assert.Equal(new SynapseCaseResult(1, 0, 0), SynapseCase.Compute(ShiftedSquare, empty, Square2D, [2.0, 0.5]));
        Assert.Equal(new SynapseCaseResult(0, 0, 0), SynapseCase.Compute(empty, TruthSquare, Square2D, [2.0, 0.5]));
        Assert.Equal(new SynapseCaseResult(0, 0, 0), SynapseCase.Compute(empty, empty, Square2D, [2.0, 0.5]));

        // Label maps: organ 1 as the squares, organ 2 only predicted, organ 3 only in the truth.
        var pred = ShiftedSquare.Select(v => (int)v).ToArray();
        var truth = TruthSquare.Select(v => (int)v).ToArray();
        pred[0] = 2;
        truth[^1] = 3;
        var perClass = SynapseCase.ComputePerClass(pred, truth, 4, Square2D, [2.0, 0.5]);
        Assert.Equal([both, new SynapseCaseResult(1, 0, 0), new SynapseCaseResult(0, 0, 0)], perClass);
    }

    [Fact]
    public void ComponentsOfASmallMask()
    {
        // Two pixels touching only at a corner, and an L of three pixels.
        byte[] mask =
        [
            1, 0, 0, 0, 1,
            0, 1, 0, 0, 1,
            0, 0, 0, 1, 1,
        ];
        int[] dims = [3, 5];
        var four = ConnectedComponents.Label(mask, dims, 4);
        Assert.Equal(3, four.Count);
        Assert.Equal([1, 0, 0, 0, 2, 0, 3, 0, 0, 2, 0, 0, 0, 2, 2], four.Labels);
        Assert.Equal([1, 4, 1], four.Sizes);
        Assert.Equal(2, four.LargestLabel);

        var eight = ConnectedComponents.Label(mask, dims, 8);
        Assert.Equal(2, eight.Count);
        Assert.Equal([2, 4], eight.Sizes);
        Assert.Equal(Boxes(dims, [0, 2, 3, 4]).Zip(mask, (box, m) => (byte)(box & m)), ConnectedComponents.Largest(mask, dims, 8));

        Assert.Equal(0, ConnectedComponents.Label(new byte[15], dims, 8).LargestLabel);
        Assert.Equal(new byte[15], ConnectedComponents.Largest(new byte[15], dims, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectedComponents.Label(mask, dims, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectedComponents.Label(new byte[8], [2, 2, 2], 8));
    }

    [Fact]
    public void ComponentsMatchScipyLabel()
    {
        foreach (var c in scipy.Components)
        {
            var labels = ConnectedComponents.Label(c.Mask, c.Dims, c.Connectivity);
            Assert.Equal(c.Count, labels.Count);
            Assert.Equal(c.Labels, labels.Labels);
            var sizes = c.Labels.Where(l => l > 0).GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count());
            Assert.Equal(sizes, labels.Sizes);
        }
    }

    static readonly ObjectResult[] Objects =
    [
        new("liver", "CT", "box", 0.9, 0.8, true, "liver", 4.0, 0.9, "ct_01") { SemanticMaskDice = 0.85 },
        new("liver", "CT", "box", 0.7, 0.6, false, "spleen", double.NaN, null, "ct_02"),
        new("kidney, left", "MR", "box", 0.8, 0.7, true, "kidney, left", 2.0, 0.8, "mr \"7\""),
        new("liver", "MR", "point", 0.5, 0.4, null, null, 10.0, 0.5, "mr_03"),
    ];

    [Fact]
    public void ReportAggregatesPerPromptCategoryAndModality()
    {
        var report = MetricsReport.Build(Objects);
        Assert.Equal(["box", "point"], report.Overall.Select(g => g.Prompt));

        var box = report.Overall[0];
        Assert.Equal(MetricsReport.AllGroup, box.Group);
        Assert.Equal(3, box.Count);
        Assert.Equal(0.8, box.Dice.Mean!.Value, 12);
        // Semantic DSC scores the semantic mask when there is one: liver 0.85 and 0 (wrong class)
        // → 0.425; kidney 0.8 (no semantic mask: its binary Dice); mDSC weighs categories equally.
        Assert.Equal((0.425 + 0.8) / 2, box.Mdsc!.Value, 12);
        Assert.Equal(1.65 / 3, box.SemanticDice.Mean!.Value, 12);
        Assert.Equal(2.0 / 3, box.ClassAccuracy!.Value, 12);
        Assert.Equal(new SummaryStat(2, 1, 3.0, 1.0), box.Hd95);
        Assert.Equal((2, 1), (box.Nsd.Count, box.Nsd.Missing));
        Assert.Equal(0.85, box.Nsd.Mean!.Value, 12);
        Assert.Equal(0.05, box.Nsd.Std!.Value, 12);

        var point = report.Overall[1];
        Assert.Null(point.Mdsc);
        Assert.Null(point.ClassAccuracy);
        Assert.Equal(0, point.Classified);
        Assert.Equal(1, point.SemanticDice.Missing);

        Assert.Equal([("box", "kidney, left"), ("box", "liver"), ("point", "liver")], report.PerCategory.Select(g => (g.Prompt, g.Group)));
        var liver = report.PerCategory[1];
        Assert.Equal(0.8, liver.Dice.Mean!.Value, 12);
        Assert.Equal(0.1, liver.Dice.Std!.Value, 12);
        Assert.Equal(0.425, liver.Mdsc!.Value, 12);
        Assert.Equal(0.5, liver.ClassAccuracy!.Value, 12);

        Assert.Equal([("box", "CT"), ("box", "MR"), ("point", "MR")], report.PerModality.Select(g => (g.Prompt, g.Group)));
        Assert.Equal(0.425, report.PerModality[0].Mdsc!.Value, 12);
        Assert.Null(report.Objects[1].Hd95); // NaN became missing
    }

    [Fact]
    public void CsvQuotesPerRfc4180()
    {
        var report = MetricsReport.Build(Objects);
        string[] categories = report.CategoriesCsv().Split("\r\n");
        Assert.StartsWith("prompt,category,count,dice_mean,", categories[0]);
        Assert.StartsWith("box,\"kidney, left\",1,0.8,", categories[1]);
        Assert.StartsWith("box,liver,2,", categories[2]);
        Assert.Equal("", categories[^1]);

        string[] objects = report.ObjectsCsv().Split("\r\n");
        Assert.Equal("source,category,modality,prompt,dice,iou,semantic_dice,class_correct,predicted_category,hd95,nsd,semantic_mask_dice,oracle_dice", objects[0]);
        Assert.Equal("ct_01,liver,CT,box,0.9,0.8,0.85,true,liver,4,0.9,0.85,", objects[1]);
        Assert.Equal("ct_02,liver,CT,box,0.7,0.6,0,false,spleen,,,,", objects[2]);
        Assert.Equal("\"mr \"\"7\"\"\",\"kidney, left\",MR,box,0.8,0.7,0.8,true,\"kidney, left\",2,0.8,,", objects[3]);
        Assert.Equal("mr_03,liver,MR,point,0.5,0.4,,,,10,0.5,,", objects[4]);
        Assert.StartsWith("prompt,modality,count,", report.ModalitiesCsv());
    }

    [Fact]
    public void JsonRoundTripsAndFilesAreWritten()
    {
        var report = MetricsReport.Build(Objects);
        string json = report.ToJson();
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.True(doc.RootElement.TryGetProperty("per_category", out _));
            var first = doc.RootElement.GetProperty("objects")[0];
            Assert.Equal("spleen", doc.RootElement.GetProperty("objects")[1].GetProperty("predicted_category").GetString());
            Assert.True(first.GetProperty("class_correct").GetBoolean());
            Assert.Equal(0.85, first.GetProperty("semantic_mask_dice").GetDouble());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("objects")[1].GetProperty("hd95").ValueKind);
        }
        var back = MetricsReport.FromJson(json);
        Assert.Equal(report.Overall, back.Overall);
        Assert.Equal(report.PerCategory, back.PerCategory);
        Assert.Equal(report.PerModality, back.PerModality);
        Assert.Equal(report.Objects, back.Objects);

        using var dir = new TempDir();
        report.WriteJson(dir.File("metrics.json"));
        report.WriteObjectsCsv(dir.File("objects.csv"));
        report.WriteCategoriesCsv(dir.File("categories.csv"));
        Assert.Equal(json, File.ReadAllText(dir.File("metrics.json")));
        Assert.Equal(report.ObjectsCsv(), File.ReadAllText(dir.File("objects.csv")));
        Assert.Equal(report.CategoriesCsv(), File.ReadAllText(dir.File("categories.csv")));
    }

    [Fact]
    public void SummaryTableListsEveryGroup()
    {
        string table = MetricsReport.Build(Objects).SummaryTable();
        Assert.Contains("box prompts: 3 objects, mDSC 0.6125, class accuracy 0.6667, HD95 missing 1", table);
        Assert.Contains("point prompts: 1 objects, mDSC -, class accuracy -", table);
        Assert.Contains("  kidney, left", table);
        Assert.Contains("0.8000 ± 0.1000", table);
        Assert.Contains("3.00 ± 1.00", table);
    }

    [Fact]
    public void TheOracleDiceIsReportedWhereItWasScored()
    {
        ObjectResult[] scored =
        [
            new("liver", "CT", "point", 0.5, 0.4, null, null, null, null, "a") { OracleDice = 0.7 },
            new("liver", "CT", "point", 0.6, 0.5, null, null, null, null, "b") { OracleDice = 0.6 },
        ];
        var report = MetricsReport.Build(scored);
        Assert.Equal(0.65, report.Overall.Single().OracleDice!.Mean!.Value, 12);
        Assert.Contains("oracle DSC 0.6500", report.SummaryTable());
        Assert.EndsWith(",0.7", report.ObjectsCsv().Split("\r\n")[1]);
        string[] categories = report.CategoriesCsv().Split("\r\n");
        Assert.EndsWith(",oracle_dice_mean,oracle_dice_std", categories[0]);
        Assert.StartsWith("point,liver,2,", categories[1]);
        var fields = categories[1].Split(',');
        Assert.Equal(0.65, double.Parse(fields[^2], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(0.05, double.Parse(fields[^1], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(report.Overall, MetricsReport.FromJson(report.ToJson()).Overall);

        // Without the oracle nothing claims one.
        var unscored = MetricsReport.Build(scored.Select(o => o with { OracleDice = null }));
        Assert.Null(unscored.Overall.Single().OracleDice);
        Assert.DoesNotContain("oracle", unscored.SummaryTable());
    }
}
