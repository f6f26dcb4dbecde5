using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>`segsam evaluate --protocol synapse` as a process, on tiny volumes with hand-computed scores.</summary>
public sealed class SynapseCliTests
{
    /// <summary>A 6×6×6 volume, 1 mm, with value v in each of the given boxes (x0, x1, y0, y1, z0, z1 inclusive).</summary>
    static void Write(string path, params (int Value, int X0, int X1, int Y0, int Y1, int Z0, int Z1)[] boxes)
    {
        var data = new float[6 * 6 * 6];
        foreach (var b in boxes)
            for (int z = b.Z0; z <= b.Z1; z++)
            for (int y = b.Y0; y <= b.Y1; y++)
            for (int x = b.X0; x <= b.X1; x++)
                data[x + 6 * (y + 6 * z)] = b.Value;
        NiftiFile.Write(path, new Volume([6, 6, 6], data, Volume.Identity()), "uint8");
    }

    [Fact]
    public void ScoresFoldersByTheProtocol()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("gt"));
        Directory.CreateDirectory(dir.File("pred"));
        // Raw BTCV codes: 1 spleen, 6 liver (protocol code 5), 13 (an organ outside the 8: background).
        Write(dir.File("gt/label0001.nii.gz"), (1, 0, 1, 0, 1, 0, 1), (6, 3, 5, 3, 5, 3, 5), (13, 0, 0, 5, 5, 5, 5));
        Write(dir.File("gt/label0002.nii.gz"), (1, 0, 1, 0, 1, 0, 1), (6, 3, 5, 3, 5, 3, 5));
        Write(dir.File("pred/case0001_pred.nii.gz"), (1, 0, 1, 0, 1, 0, 1), (5, 3, 5, 3, 5, 3, 5));
        Write(dir.File("pred/case0002_pred.nii.gz"), (1, 0, 0, 0, 1, 0, 1), (5, 3, 5, 3, 5, 3, 5));

        var run = Support.Cli.Run("evaluate", "--protocol", "synapse", "--predictions", dir.File("pred"), "--labels", dir.File("gt"),
            "--raw-labels", "--out", dir.File("out"), "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.StdOut);
        // Spleen: case 1 exact (1), case 2 half the 8-voxel cube predicted: 2·4/(8+4) = 2/3 → mean 5/6.
        // Liver exact in both (1). The six absent organs have empty predictions → 0 (the reference's rule).
        // mDice = (5/6 + 1) / 8.
        Assert.Equal((5.0 / 6 + 1) / 8, report.RootElement.GetProperty("mean_dice").GetDouble(), 9);
        Assert.Equal(2, report.RootElement.GetProperty("case_count").GetInt32());
        Assert.True(File.Exists(dir.File("out/organs.csv")));
    }

    [Theory]
    [InlineData(new[] { "evaluate", "--protocol", "synapse", "--labels", "GT" }, 2, "--predictions")]
    [InlineData(new[] { "evaluate", "--protocol", "kits", "--predictions", "PRED", "--labels", "GT" }, 2, "synapse")]
    [InlineData(new[] { "evaluate", "--protocol", "synapse", "--predictions", "EMPTY", "--labels", "GT" }, 3, "no prediction for case(s) 1")]
    [InlineData(new[] { "evaluate", "--data", "GT" }, 2, "--model")]
    public void BadArgumentsGetClearErrors(string[] template, int exitCode, string mentioned)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("gt"));
        Directory.CreateDirectory(dir.File("pred"));
        Directory.CreateDirectory(dir.File("empty"));
        File.WriteAllText(dir.File("empty/notes.txt"), "no volumes here");
        Write(dir.File("gt/label0001.nii.gz"), (1, 0, 1, 0, 1, 0, 1));
        Write(dir.File("empty/case0002.nii.gz"), (1, 0, 1, 0, 1, 0, 1));
        var args = template.Select(a => a switch { "GT" => dir.File("gt"), "PRED" => dir.File("pred"), "EMPTY" => dir.File("empty"), _ => a }).ToArray();
        var run = Support.Cli.Run(args);
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(mentioned, run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }
}
