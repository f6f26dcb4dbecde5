using System.Globalization;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>
/// The prompt-free PG-SAM model shipped in models/: its card's numbers (the ones `segsam demo`
/// prints) are what the library measures now, and `segment` without prompts labels Colin27 with
/// it on ch2's own grid, scored independently with nibabel.
/// </summary>
[Collection(nameof(Serial))]
public sealed class BundledPgSamTests
{
    static string ModelPath => Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.safetensors");
    static string CardPath => Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.md");
    static string Ch2 => Path.Combine(AtlasDataset.DefaultTemplates, "ch2.nii.gz");

    /// <summary>One row of the card's headline table.</summary>
    sealed record CardRow(int N, double HeldOutDice, double HeldOutHd95, double VolumeDice, double VolumeHd95);

    /// <summary>
    /// The card's table that starts with the header "| structure | n | held-out 2D Dice |": per
    /// structure (and "mean"), n, 2D Dice, 2D HD95, 3D Dice, 3D HD95; bold marks are ignored.
    /// </summary>
    static Dictionary<string, CardRow> CardTable()
    {
        var lines = File.ReadAllLines(CardPath);
        int header = Array.FindIndex(lines, l => l.StartsWith("| structure | n | held-out 2D Dice", StringComparison.Ordinal));
        Assert.True(header >= 0, $"{CardPath} has no '| structure | n | held-out 2D Dice | …' table");
        var rows = new Dictionary<string, CardRow>();
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim().Trim('*')).ToArray();
            Assert.True(cells.Length == 6, $"card row '{line}' does not have 6 cells");
            double D(int i) => double.Parse(cells[i], CultureInfo.InvariantCulture);
            rows[cells[0]] = new CardRow(int.Parse(cells[1], CultureInfo.InvariantCulture), D(2), D(3), D(4), D(5));
        }
        return rows;
    }

    /// <summary>"… against all labelled voxels (3D Dice): Colin27 0.xxxx, macaque 0.xxxx" in the card.</summary>
    static (double Colin, double Macaque) CardForeground()
    {
        var match = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(CardPath),
            @"all labelled voxels \(3D Dice\): Colin27 ([0-9]+\.[0-9]+), macaque ([0-9]+\.[0-9]+)");
        Assert.True(match.Success, $"{CardPath} has no 'all labelled voxels (3D Dice): Colin27 …, macaque …' line");
        return (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CardNumbersAreWhatTheEvaluationMeasures()
    {
        var card = CardTable();
        using var model = PgSamModelCheckpoint.Load(ModelPath);
        Assert.Equal(AalLobes.Names, model.Config.Categories);
        using var dir = new TempDir();
        var heldOut = PgSamAtlasEvaluation.HeldOut(model, StoredHeldOutSlices.Load(dir));
        var colin = PgSamAtlasEvaluation.Colin27(model);
        var macaque = PgSamAtlasEvaluation.Macaque(model);
        var comparison = new MethodComparison(AalLobes.Names, [("pgsam", heldOut)]);
        foreach (var s in AalLobes.Names)
        {
            Assert.True(card.TryGetValue(s, out var row), $"the card has no row for {s}");
            var v = colin.Scores.Single(x => x.Structure == s);
            Near(row.N, heldOut.Objects.Count(o => o.Category == s), 0, $"{s} n");
            Near(row.HeldOutDice, MethodComparison.Dice(heldOut, s), 6e-5, $"{s} held-out Dice");
            Near(row.HeldOutHd95, MethodComparison.Hd95(heldOut, s), 6e-3, $"{s} held-out HD95");
            Near(row.VolumeDice, v.Dice, 6e-5, $"{s} Colin27 3D Dice");
            Near(row.VolumeHd95, v.Hd95Mm, 6e-3, $"{s} Colin27 3D HD95");
        }
        var mean = card["mean"];
        Near(mean.HeldOutDice, comparison.MeanDice(heldOut), 6e-5, "mean held-out Dice");
        Near(mean.HeldOutHd95, comparison.MeanHd95(heldOut), 6e-3, "mean held-out HD95");
        Near(mean.VolumeDice, colin.MeanDice, 6e-5, "mean Colin27 3D Dice");
        Near(mean.VolumeHd95, colin.MeanHd95Mm, 6e-3, "mean Colin27 3D HD95");
        var (colinAll, macaqueAll) = CardForeground();
        Near(colinAll, colin.Foreground.Dice, 6e-5, "Colin27 all structures");
        Near(macaqueAll, macaque.Foreground.Dice, 6e-5, "macaque all structures");
    }

    /// <summary>
    /// `segment --image ch2 --out DIR`, no prompt and no model: the bundled PG-SAM labels the
    /// volume; nibabel reads labels.nii.gz with ch2's shape and affine (the script checks), and its
    /// own lobe grouping of the AAL names gives the card's 3D Dice.
    /// </summary>
    [Fact]
    public void SegmentWithoutPromptsLabelsColin27LikeTheCardSays()
    {
        using var dir = new TempDir();
        var run = Support.Cli.Run("segment", "--image", Ch2, "--out", dir.File("out"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("181 axial slice(s) labelled prompt-free", run.StdOut);
        string script = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "scripts", "pgsam_volume_dice.py"));
        string report = Python.Run(script, [dir.File("out/labels.nii.gz"), dir.File("out/segmentation.json")]).StdOut;
        using var json = JsonDocument.Parse(report);
        var card = CardTable();
        foreach (var s in AalLobes.Names)
            Near(card[s].VolumeDice, json.RootElement.GetProperty(s).GetProperty("dice").GetDouble(), 6e-5, $"{s}: nibabel's 3D Dice\n{report}");
        Near(CardForeground().Colin, json.RootElement.GetProperty("all structures").GetProperty("dice").GetDouble(), 6e-5, $"all structures\n{report}");
    }

    static void Near(double expected, double? actual, double tolerance, string what) =>
        Assert.True(actual is double a && Math.Abs(a - expected) <= tolerance, $"{what}: the card says {expected}, measured {actual?.ToString("R", CultureInfo.InvariantCulture) ?? "nothing"}");
}
