using System.Text.Json;
using SegSam.Data.Datasets;
using SegSam.Evaluation;
using SegSam.Tests.Support;

namespace SegSam.Tests.Evaluation;

/// <summary>
/// An independent Synapse evaluation in Python, computed once per test run: TransUNet's
/// calculate_metric_percase with medpy's dc and hd95 written out in numpy/scipy (medpy is not
/// installed here; its hd95 is binary_erosion borders, distance_transform_edt, np.percentile),
/// the mean over cases then organs, and scipy.ndimage.zoom(order=0) of label slices.
/// </summary>
public sealed class SynapseScipyReference
{
    const string Script = """
        import base64, json
        import numpy as np
        from scipy import ndimage as ndi

        rng = np.random.default_rng(20250607)
        b64 = lambda a: base64.b64encode(np.ascontiguousarray(a).astype('<i4').tobytes()).decode()

        def smooth(shape, sigma):
            f = ndi.gaussian_filter(rng.standard_normal(shape), sigma)
            return f / f.std()

        def label_map(fields, level):
            # Organ k + 1 where its field is the largest and above the level.
            best = np.argmax(fields, axis=0)
            return np.where(np.max(fields, axis=0) > level, best + 1, 0)

        # medpy.metric.binary.dc / hd95 (connectivity 1), as TransUNet calls them.
        def dc(result, reference):
            i = np.count_nonzero(result & reference)
            s = np.count_nonzero(result) + np.count_nonzero(reference)
            return 2.0 * i / float(s) if s else 0.0

        def surface_distances(result, reference, spacing):
            fp = ndi.generate_binary_structure(result.ndim, 1)
            rb = result ^ ndi.binary_erosion(result, structure=fp, iterations=1)
            gb = reference ^ ndi.binary_erosion(reference, structure=fp, iterations=1)
            return ndi.distance_transform_edt(~gb, sampling=spacing)[rb]

        def hd95(result, reference, spacing=None):
            return np.percentile(np.hstack((surface_distances(result, reference, spacing), surface_distances(reference, result, spacing))), 95)

        def per_case(pred, gt, spacing):
            if pred.sum() > 0 and gt.sum() > 0:
                return dc(pred, gt), hd95(pred, gt), hd95(pred, gt, spacing)
            if pred.sum() > 0 and gt.sum() == 0:
                return 1.0, 0.0, 0.0
            return 0.0, 0.0, 0.0

        organs = 4
        cases = []
        for name, shape, spacing, stray in [("case0001", (24, 40, 36), (2.5, 0.74, 0.74), 0.5),
                                            ("case0002", (18, 44, 30), (3.0, 0.9, 0.6), 0.8)]:
            truth_fields = np.stack([smooth(shape, 3.0) for _ in range(organs)])
            noise = np.stack([smooth(shape, 2.0) for _ in range(organs)])
            gt = label_map(truth_fields, 0.8)
            pred = label_map(truth_fields + stray * noise, 0.8)
            gt[gt == 3] = 0                    # organ 3: predicted, absent from the truth -> (1, 0)
            gt[gt == 4] = 0; pred[pred == 4] = 0  # organ 4: absent from both -> (0, 0)
            if name == "case0002":
                pred[pred == 2] = 0            # organ 2: in the truth, not predicted -> (0, 0)
            scores = [per_case(pred == k, gt == k, spacing) for k in range(1, organs + 1)]
            cases.append(dict(name=name, dims=list(shape), spacing=list(spacing), pred=b64(pred), gt=b64(gt), scores=scores))

        # TransUNet's inference(): metric_list summed over cases / len(cases), then np.mean over classes.
        per_organ = np.mean(np.array([c["scores"] for c in cases]), axis=0)
        means = per_organ.mean(axis=0)

        zooms = []
        for (h, w, H, W) in [(224, 224, 512, 512), (224, 224, 512, 448), (7, 5, 13, 11), (6, 9, 4, 3)]:
            slices = rng.integers(0, 9, (2, h, w))
            zoomed = np.stack([ndi.zoom(s, (H / h, W / w), order=0) for s in slices])
            assert zoomed.shape == (2, H, W)
            zooms.append(dict(size=[h, w, H, W], slices=b64(slices), volume=b64(zoomed)))

        print(json.dumps(dict(cases=cases, per_organ=per_organ.tolist(), means=means.tolist(), zooms=zooms)))
        """;

    public sealed record Case(string Name, int[] Dims, double[] Spacing, int[] Pred, int[] Gt, double[][] Scores);

    public sealed record Zoom(int[] Size, int[] Slices, int[] Volume);

    public IReadOnlyList<Case> Cases { get; }
    public double[][] PerOrgan { get; }
    public double[] Means { get; }
    public IReadOnlyList<Zoom> Zooms { get; }

    public SynapseScipyReference()
    {
        using var doc = JsonDocument.Parse(Python.Run(Script).StdOut);
        var root = doc.RootElement;
        Cases = root.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("name").GetString()!,
            c.GetProperty("dims").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Doubles(c.GetProperty("spacing")),
            Int32s(c, "pred"), Int32s(c, "gt"),
            c.GetProperty("scores").EnumerateArray().Select(Doubles).ToArray())).ToArray();
        PerOrgan = root.GetProperty("per_organ").EnumerateArray().Select(Doubles).ToArray();
        Means = Doubles(root.GetProperty("means"));
        Zooms = root.GetProperty("zooms").EnumerateArray().Select(z => new Zoom(
            z.GetProperty("size").EnumerateArray().Select(v => v.GetInt32()).ToArray(), Int32s(z, "slices"), Int32s(z, "volume"))).ToArray();
    }

    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    static int[] Int32s(JsonElement e, string name)
    {
        byte[] raw = Convert.FromBase64String(e.GetProperty(name).GetString()!);
        var values = new int[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, values, 0, raw.Length); // little-endian int32, as on this machine
        return values;
    }
}

public class SynapseProtocolTests(SynapseScipyReference reference) : IClassFixture<SynapseScipyReference>
{
    static readonly string[] FourOrgans = ["a", "b", "c", "d"];

    /// <summary>A D×H×W label volume with label <c>box[6]</c> in each box (inclusive z, y, x bounds).</summary>
    static int[] Volume(int[] dims, params int[][] boxes)
    {
        var v = new int[dims[0] * dims[1] * dims[2]];
        foreach (var b in boxes)
            for (int z = b[0]; z <= b[1]; z++)
                for (int y = b[2]; y <= b[3]; y++)
                    for (int x = b[4]; x <= b[5]; x++)
                        v[(z * dims[1] + y) * dims[2] + x] = b[6];
        return v;
    }

    static readonly int[] Cube8 = [8, 8, 8];

    [Fact]
    public void CubesOffsetByOneVoxel()
    {
        // Truth: the 3×3×3 cube z, y, x ∈ [2, 4]; prediction: the same cube one voxel further in x.
        // Dice: overlap 3·3·2 = 18 → 2·18 / (27 + 27) = 2/3.
        // Borders (cube minus its 6-eroded core): 26 voxels each, all but the centre.
        //   prediction → truth: its x = 5 face (9 voxels) lies 1 from the truth's x = 4 face; its
        //   voxel (3, 3, 3) is the truth's centre, 1 from the truth's border; the other 16 lie on
        //   the truth's border: 0. Truth → prediction is the mirror image: 10 ones, 16 zeros.
        //   Pooled: 32 zeros then 20 ones; numpy's 95th percentile sits at rank 0.95·51 = 48.45,
        //   between sorted[48] = sorted[49] = 1 → HD95 = 1 voxel.
        // In mm with spacing (z, y, x) = (2.5, 0.7, 0.8): the 18 face distances are one x step,
        // 0.8; the two centre voxels have a border voxel one y step away, 0.7. Sorted: 32 × 0,
        // 2 × 0.7 (ranks 32-33), 18 × 0.8 (ranks 34-51) → HD95 = 0.8 mm.
        var truth = Volume(Cube8, [2, 4, 2, 4, 2, 4, 1]);
        var pred = Volume(Cube8, [2, 4, 2, 4, 3, 5, 1]);
        var s = Assert.Single(SynapseProtocol.EvaluateCase("cubes", pred, truth, Cube8, [2.5, 0.7, 0.8], ["cube"]));
        Assert.Equal((1, "cube"), (s.Label, s.Organ));
        Assert.Equal(2.0 / 3, s.Dice, 12);
        Assert.Equal(1, s.Hd95Voxels, 12);
        Assert.Equal(0.8, s.Hd95Mm, 12);

        // The same offset along z (the 2.5 mm axis): still 1 voxel, but now the 18 face distances
        // are 2.5 mm and the 2 centre ones min(0.7, 0.8) = 0.7 → HD95 = 2.5 mm.
        var predZ = Volume(Cube8, [3, 5, 2, 4, 2, 4, 1]);
        var z = SynapseProtocol.EvaluateCase("cubes", predZ, truth, Cube8, [2.5, 0.7, 0.8], ["cube"])[0];
        Assert.Equal(1, z.Hd95Voxels, 12);
        Assert.Equal(2.5, z.Hd95Mm, 12);
    }

    [Fact]
    public void Hd95InterpolatesBetweenOrderStatistics()
    {
        // Truth: voxels x = 0 and x = 1 of row (0, 0); prediction: x = 0 and x = 5. Every voxel of
        // these thin masks is border. Prediction → truth: 0 (x = 0), 4 (x = 5 to x = 1); truth →
        // prediction: 0, 1. Pooled sorted [0, 0, 1, 4]; rank 0.95·3 = 2.85 → 1 + 0.85·(4 − 1) = 3.55.
        // Dice 2·1 / (2 + 2) = 0.5. In mm with x spacing 0.8: every distance is along x → 3.55·0.8 = 2.84.
        int[] dims = [1, 2, 8];
        var truth = Volume(dims, [0, 0, 0, 0, 0, 1, 1]);
        var pred = Volume(dims, [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 5, 5, 1]);
        var s = SynapseProtocol.EvaluateCase("thin", pred, truth, dims, [3, 2, 0.8], ["line"])[0];
        Assert.Equal(0.5, s.Dice, 12);
        Assert.Equal(3.55, s.Hd95Voxels, 12);
        Assert.Equal(2.84, s.Hd95Mm, 12);
    }

    [Fact]
    public void EmptyMaskRulesOfTheReference()
    {
        // Organ a: in both (Dice and HD95); b: predicted, truth empty → (1, 0);
        // c: truth only, prediction empty → (0, 0); d: in neither → (0, 0), not a "perfect" 1.
        var truth = Volume(Cube8, [0, 1, 0, 1, 0, 1, 1], [5, 6, 5, 6, 5, 6, 3]);
        var pred = Volume(Cube8, [0, 1, 0, 1, 0, 1, 1], [4, 4, 4, 4, 4, 4, 2]);
        var scores = SynapseProtocol.EvaluateCase("rules", pred, truth, Cube8, [1, 1, 1], FourOrgans);
        Assert.Equal(
            [
                new SynapseOrganScore("rules", 1, "a", 1, 0, 0),
                new SynapseOrganScore("rules", 2, "b", 1, 0, 0),
                new SynapseOrganScore("rules", 3, "c", 0, 0, 0),
                new SynapseOrganScore("rules", 4, "d", 0, 0, 0),
            ],
            scores);

        // The default organs are the Synapse 8, in label order; codes outside 0 … C are refused.
        var synapse = SynapseProtocol.EvaluateCase("rules", pred, truth, Cube8, [1, 1, 1]);
        Assert.Equal(SynapseDataset.Organs, synapse.Select(o => o.Organ));
        pred[0] = 9;
        Assert.Throws<ArgumentException>(() => SynapseProtocol.EvaluateCase("rules", pred, truth, Cube8, [1, 1, 1]));
        pred[0] = -1;
        Assert.Throws<ArgumentException>(() => SynapseProtocol.EvaluateCase("rules", pred, truth, Cube8, [1, 1, 1]));
        Assert.Throws<ArgumentException>(() => SynapseProtocol.EvaluateCase("rules", new int[10], truth, Cube8, [1, 1, 1]));
    }

    static SynapseOrganScore Score(string c, int label, double dice, double hd95) =>
        new(c, label, FourOrgans[label - 1], dice, hd95, 2 * hd95);

    [Fact]
    public void MeanOverCasesThenOrgans()
    {
        // Two organs, three cases (c2's b is the reference's 0 for "absent and not predicted",
        // c3's b its 1 for "predicted, truth absent"); Dice / HD95 in voxels (mm = 2 × voxels here):
        //        a            b
        //   c1   0.9 / 2      0.6 / 8
        //   c2   0.7 / 4      0   / 0
        //   c3   0.8 / 6      1   / 0
        // Per organ over cases: a = 0.8 / 4, b = 1.6/3 / 8/3. mDice = (0.8 + 1.6/3) / 2 = 2/3;
        // mHD95 = (4 + 8/3) / 2 = 10/3 voxels.
        // A full matrix averages the same in either order (per case 0.75, 0.35, 0.9 → 2/3).
        // Dropping the entries whose truth is empty, as NaN-skipping tools do, would give
        // b = 0.6 and mDice 0.7: the reference's 0 and 1 are kept as numbers.
        string[] organs = ["a", "b"];
        var scores = new[]
        {
            Score("c3", 2, 1, 0), Score("c1", 1, 0.9, 2), Score("c1", 2, 0.6, 8),
            Score("c2", 1, 0.7, 4), Score("c2", 2, 0, 0), Score("c3", 1, 0.8, 6),
        };
        var report = SynapseReport.Build(scores, organs);
        Assert.Equal(3, report.CaseCount);
        Assert.Equal(2.0 / 3, report.MeanDice, 12);
        Assert.Equal(10.0 / 3, report.MeanHd95Voxels, 12);
        Assert.Equal(20.0 / 3, report.MeanHd95Mm, 12);
        Assert.Equal(0.8, report.PerOrgan[0].Dice, 12);
        Assert.Equal(1.6 / 3, report.PerOrgan[1].Dice, 12);
        Assert.Equal(8.0 / 3, report.PerOrgan[1].Hd95Voxels, 12);
        Assert.Equal(["c1", "c2", "c3"], report.PerCase.Select(c => c.Case));
        Assert.Equal([0.75, 0.35, 0.9], report.PerCase.Select(c => Math.Round(c.Dice, 12)));
        Assert.Equal(["c1", "c1", "c2", "c2", "c3", "c3"], report.Scores.Select(s => s.Case));

        // With c2's b missing, the two orders differ: cases first per organ (a = 0.8, b = (0.6 + 1) / 2
        // = 0.8) gives 0.8, organs first per case (0.75, 0.7, 0.9) gives 0.7833. The protocol's matrix is
        // always full, so a gap is refused rather than averaged one way or the other.
        var gap = scores.Where(s => !(s.Case == "c2" && s.Label == 2)).ToArray();
        Assert.Throws<ArgumentException>(() => SynapseReport.Build(gap, organs));
        Assert.Throws<ArgumentException>(() => SynapseReport.Build(scores.Append(Score("c1", 1, 1, 0)), organs));
        Assert.Throws<ArgumentException>(() => SynapseReport.Build(scores, ["a", "x"]));
    }

    [Fact]
    public void ReportWritesJsonAndCsv()
    {
        var report = SynapseReport.Build([Score("case0001", 1, 0.5, 3), Score("case0001", 2, 1, 0), Score("case0002", 1, 0.25, 1), Score("case0002", 2, 0, 0)], ["a", "b"]);
        string json = report.ToJson();
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal(0.4375, doc.RootElement.GetProperty("mean_dice").GetDouble()); // (0.375 + 0.5) / 2
            Assert.Equal(1.0, doc.RootElement.GetProperty("mean_hd95_voxels").GetDouble()); // (2 + 0) / 2
            Assert.Equal("b", doc.RootElement.GetProperty("per_organ")[1].GetProperty("organ").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("per_case").GetArrayLength());
            Assert.Equal(4, doc.RootElement.GetProperty("scores").GetArrayLength());
        }
        Assert.Equal(json, SynapseReport.FromJson(json).ToJson());

        string[] organsCsv = report.OrgansCsv().Split("\r\n");
        Assert.Equal("label,organ,cases,dice,hd95_voxels,hd95_mm", organsCsv[0]);
        Assert.Equal("1,a,2,0.375,2,4", organsCsv[1]);
        Assert.Equal(",mean,2,0.4375,1,2", organsCsv[3]);
        Assert.Equal("case0002,1,a,0.25,1,2", report.ScoresCsv().Split("\r\n")[3]);
        Assert.Equal("case0001,2,0.75,1.5,3", report.CasesCsv().Split("\r\n")[1]);
        Assert.Contains("mDice 43.75 %", report.SummaryTable());

        using var dir = new TempDir();
        report.WriteJson(dir.File("synapse.json"));
        report.WriteOrgansCsv(dir.File("organs.csv"));
        report.WriteScoresCsv(dir.File("scores.csv"));
        report.WriteCasesCsv(dir.File("cases.csv"));
        Assert.Equal(json, File.ReadAllText(dir.File("synapse.json")));
        Assert.Equal(report.OrgansCsv(), File.ReadAllText(dir.File("organs.csv")));
        Assert.Equal(report.ScoresCsv(), File.ReadAllText(dir.File("scores.csv")));
        Assert.Equal(report.CasesCsv(), File.ReadAllText(dir.File("cases.csv")));
    }

    [Fact]
    public void SlicesStackInZOrderWithScipyNearestZoom()
    {
        // 2×2 → 3×3: scipy's order-0 zoom reads input ⌊k·(2 − 1)/(3 − 1) + ½⌋ = ⌊0.5⌋, ⌊1⌋, ⌊1.5⌋ = 0, 1, 1.
        int[][] slices = [[1, 2, 3, 4], [5, 6, 7, 8]];
        Assert.Equal([1, 2, 2, 3, 4, 4, 3, 4, 4, 5, 6, 6, 7, 8, 8, 7, 8, 8], SliceStack.Assemble(slices, 2, 2, 3, 3));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], SliceStack.Assemble(slices, 2, 2));
        Assert.Throws<ArgumentException>(() => SliceStack.Assemble([[1, 2, 3]], 2, 2));
        Assert.Throws<ArgumentException>(() => SliceStack.Assemble([], 2, 2));

        foreach (var z in reference.Zooms)
        {
            int h = z.Size[0], w = z.Size[1], hh = z.Size[2], ww = z.Size[3];
            var stack = Enumerable.Range(0, 2).Select(k => z.Slices[(k * h * w)..((k + 1) * h * w)]).ToArray();
            Assert.True(z.Volume.SequenceEqual(SliceStack.Assemble(stack, h, w, hh, ww)), $"{h}×{w} → {hh}×{ww} differs from scipy's zoom");
        }
    }

    [Fact]
    public void MatchesPythonReferenceOnRandomVolumes()
    {
        var scores = new List<SynapseOrganScore>();
        foreach (var c in reference.Cases)
        {
            var caseScores = SynapseProtocol.EvaluateCase(c.Name, c.Pred, c.Gt, c.Dims, c.Spacing, FourOrgans);
            for (int k = 0; k < FourOrgans.Length; k++)
            {
                var (expected, actual) = (c.Scores[k], caseScores[k]);
                string where = $"{c.Name} organ {k + 1}";
                Assert.True(Math.Abs(expected[0] - actual.Dice) < 1e-12, $"{where}: Dice {actual.Dice} vs {expected[0]}");
                Assert.True(Math.Abs(expected[1] - actual.Hd95Voxels) < 1e-9, $"{where}: HD95 {actual.Hd95Voxels} vs {expected[1]} voxels");
                Assert.True(Math.Abs(expected[2] - actual.Hd95Mm) < 1e-9, $"{where}: HD95 {actual.Hd95Mm} vs {expected[2]} mm");
            }
            // The script's volumes exercise every rule: a real score, (1, 0) and (0, 0).
            Assert.True(caseScores[0].Dice is > 0 and < 1 && caseScores[0].Hd95Voxels > 0);
            Assert.Equal((1.0, 0.0), (caseScores[2].Dice, caseScores[2].Hd95Voxels));
            Assert.Equal((0.0, 0.0), (caseScores[3].Dice, caseScores[3].Hd95Voxels));
            scores.AddRange(caseScores);
        }
        Assert.Equal((0.0, 0.0), (scores[5].Dice, scores[5].Hd95Mm)); // case0002's organ 2, not predicted

        var report = SynapseReport.Build(scores, FourOrgans);
        for (int k = 0; k < FourOrgans.Length; k++)
        {
            Assert.Equal(reference.PerOrgan[k][0], report.PerOrgan[k].Dice, 12);
            Assert.Equal(reference.PerOrgan[k][1], report.PerOrgan[k].Hd95Voxels, 9);
            Assert.Equal(reference.PerOrgan[k][2], report.PerOrgan[k].Hd95Mm, 9);
        }
        Assert.Equal(reference.Means[0], report.MeanDice, 12);
        Assert.Equal(reference.Means[1], report.MeanHd95Voxels, 9);
        Assert.Equal(reference.Means[2], report.MeanHd95Mm, 9);
    }
}
