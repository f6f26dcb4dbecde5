using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
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

    /// <summary>
    /// Two HU volumes (img0001, img0002: 12×10×4, 1.5 × 1.2 × 3 mm, LPS) and their raw BTCV labels
    /// (spleen, liver, an organ outside the protocol, boxes of different sizes) on the same grid.
    /// </summary>
    static void WriteCases(TempDir dir)
    {
        Directory.CreateDirectory(dir.File("img"));
        Directory.CreateDirectory(dir.File("label"));
        var affine = new double[,] { { -1.5, 0, 0, 20 }, { 0, -1.2, 0, 10 }, { 0, 0, 3, -40 }, { 0, 0, 0, 1 } };
        for (int c = 1; c <= 2; c++)
        {
            var rng = new Random(c);
            var hu = new float[12 * 10 * 4];
            var codes = new float[hu.Length];
            for (int i = 0; i < hu.Length; i++) hu[i] = rng.Next(-300, 300);
            for (int z = 0; z < 4; z++)
            for (int y = 0; y < 10; y++)
            for (int x = 0; x < 12; x++)
            {
                int i = x + 12 * (y + 10 * z);
                if (x < 4 + c && y < 5) codes[i] = 1;               // spleen
                else if (x >= 7 && y >= 4 && z >= 1) codes[i] = 6;  // liver → 5
                else if (x < 2 && y >= 8) codes[i] = 13;            // not one of the 8 organs
            }
            NiftiFile.Write(dir.File($"img/img{c:D4}.nii.gz"), new Volume([12, 10, 4], hu, affine), "int16");
            NiftiFile.Write(dir.File($"label/label{c:D4}.nii.gz"), new Volume([12, 10, 4], codes, affine), "uint8");
        }
    }

    [Fact]
    public void PredictingWithAModelScoresLikeThePredictionsItWrites()
    {
        using var dir = new TempDir();
        WriteCases(dir);
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors"), TinyPgSam.SynapseConfig());
        var predicted = Support.Cli.Run("evaluate", "--protocol", "synapse", "--model", model, "--images", dir.File("img"),
            "--labels", dir.File("label"), "--raw-labels", "--out", dir.File("out"), "--json");
        Assert.True(predicted.ExitCode == 0, predicted.ToString());
        string[] written = ["case0001.nii.gz", "case0002.nii.gz"];
        Assert.Equal(written, Directory.GetFiles(dir.File("out/predictions")).Select(Path.GetFileName).Order());
        foreach (var file in new[] { "synapse.json", "scores.csv", "organs.csv", "cases.csv" })
            Assert.True(File.Exists(dir.File($"out/{file}")), file);

        var scored = Support.Cli.Run("evaluate", "--protocol", "synapse", "--predictions", dir.File("out/predictions"),
            "--labels", dir.File("label"), "--raw-labels", "--json");
        Assert.True(scored.ExitCode == 0, scored.ToString());
        Assert.Equal(scored.StdOut, predicted.StdOut);
        using var report = JsonDocument.Parse(predicted.StdOut);
        Assert.Equal(2, report.RootElement.GetProperty("case_count").GetInt32());

        // Each written volume is the library's prediction of its image: the image's grid, the Synapse CT rule.
        using var pgsam = PgSamModelCheckpoint.Load(model);
        var predictor = new PgSamVolumePredictor(pgsam);
        for (int c = 1; c <= 2; c++)
        {
            var image = MedicalImage.Load(dir.File($"img/img{c:D4}.nii.gz"));
            var volume = MedicalImage.Load(dir.File($"out/predictions/case{c:D4}.nii.gz"));
            Assert.Equal(image.Dims, volume.Dims);
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < 4; k++) Assert.Equal(image.Affine[r, k], volume.Affine[r, k], 5);
            Assert.Equal(predictor.Predict(image, VolumeIntensity.SynapseCt, $"case{c:D4}").Labels.Data, volume.Data);
        }
    }

    [Fact]
    public void PredictingNeedsAPgSamModelImagesForEveryCaseAndAnOutputFolder()
    {
        using var dir = new TempDir();
        WriteCases(dir);
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors"), TinyPgSam.SynapseConfig());
        string threeClasses = TinyPgSam.Save(dir.File("tiny.safetensors"));
        Directory.CreateDirectory(dir.File("one"));
        File.Copy(dir.File("img/img0002.nii.gz"), dir.File("one/img0002.nii.gz"));
        string[] common = ["evaluate", "--protocol", "synapse", "--labels", dir.File("label")];
        (string[] Args, int Code, string Message)[] cases =
        [
            (["--model", model, "--images", dir.File("img")], 2, "give --out DIR"),
            (["--model", model, "--out", dir.File("o")], 2, "--model PGSAM_MODEL --images DIR"),
            (["--model", model, "--images", dir.File("img"), "--predictions", dir.File("img"), "--out", dir.File("o")], 2, "either --predictions DIR or"),
            (["--model", model, "--images", dir.File("one"), "--out", dir.File("o")], 3, "no image for case(s) 1"),
            (["--model", threeClasses, "--images", dir.File("img"), "--out", dir.File("o")], 3, "not the Synapse protocol's organs"),
            (["--model", model, "--images", dir.File("img"), "--out", dir.File("o"), "--intensity", "hu"], 2, "--intensity: intensity rule 'hu' is unknown"),
            (["--predictions", dir.File("img"), "--intensity", "ct"], 2, "apply when a --model predicts the volumes"),
        ];
        foreach (var (extra, code, message) in cases)
        {
            var run = Support.Cli.Run([.. common, .. extra]);
            Assert.True(run.ExitCode == code, $"{string.Join(' ', extra)}: {run}");
            Assert.Contains(message, run.StdErr);
            Assert.DoesNotContain("   at ", run.StdErr);
        }
        Assert.False(Directory.Exists(dir.File("o/predictions")));
    }

    [Theory]
    [InlineData(new[] { "evaluate", "--protocol", "synapse", "--labels", "GT" }, 2, "--predictions")]
    [InlineData(new[] { "evaluate", "--protocol", "kits", "--predictions", "PRED", "--labels", "GT" }, 2, "synapse")]
    [InlineData(new[] { "evaluate", "--protocol", "synapse", "--predictions", "EMPTY", "--labels", "GT" }, 3, "no prediction for case(s) 1")]
    [InlineData(new[] { "evaluate", "--data", "GT" }, 2, "--model")]
    [InlineData(new[] { "evaluate", "--protocol", "synapse", "--predictions", "PRED", "--labels", "GT", "--mirror" }, 2, "--mirror applies to a SEG-SAM model's prompts")]
    [InlineData(new[] { "evaluate", "--model", "GT", "--images", "GT", "--labels", "GT" }, 2, "apply to --protocol synapse")]
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
