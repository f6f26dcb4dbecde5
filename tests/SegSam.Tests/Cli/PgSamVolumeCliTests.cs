using System.Text.Json;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Checkpoints;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>`segsam segment` with a PG-SAM model (prompt-free, every slice), as a process, on a small CT-like volume.</summary>
public class PgSamVolumeCliTests
{
    /// <summary>A 20×24×5 int16 HU volume written by nibabel on a permuted LPS grid (i → posterior, j → left).</summary>
    static string Volume(TempDir dir)
    {
        string path = dir.File("ct.nii.gz");
        Python.Run($$"""
            import numpy as np, nibabel as nib
            rng = np.random.default_rng(5)
            data = rng.integers(-400, 500, size=(20, 24, 5)).astype(np.int16)
            data[4:14, 6:18, 1:4] = 250
            affine = np.array([[0, -0.8, 0, 10], [-0.9, 0, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
            nib.save(nib.Nifti1Image(data, affine), r'{{path}}')
            """);
        return path;
    }

    [Fact]
    public void SegmentsEveryAxialSliceOntoTheInputGrid()
    {
        using var dir = new TempDir();
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors")), volume = Volume(dir), output = dir.File("out");
        var run = Support.Cli.Run("segment", "--model", model, "--image", volume, "--intensity", "ct", "--out", output, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.StdOut);
        var root = doc.RootElement;
        Assert.Equal("axial", root.GetProperty("Axis").GetString());
        Assert.Equal(5, root.GetProperty("Slices").GetInt32());
        Assert.Equal("background", root.GetProperty("Labels").GetProperty("0").GetString());
        Assert.Equal(TinySegSam.Categories, Enumerable.Range(1, 3).Select(i => root.GetProperty("Labels").GetProperty($"{i}").GetString()));
        Assert.StartsWith("ct (HU [-125, 275]", root.GetProperty("Intensity").GetString());
        string labels = Path.Combine(output, "labels.nii.gz");
        Assert.True(File.Exists(Path.Combine(output, "segmentation.json")));
        Assert.Equal(root.GetRawText(), JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "segmentation.json"))).RootElement.GetRawText());

        // nibabel reads the labels with the input's shape and affine, as uint8 codes 0..3.
        var check = Python.Run($$"""
            import nibabel as nib, numpy as np
            a = nib.load(r'{{volume}}'); b = nib.load(r'{{labels}}')
            d = np.asarray(b.dataobj)
            print(a.shape == b.shape, np.array_equal(a.affine, b.affine), b.get_data_dtype(), int(d.min()), int(d.max()), len(np.unique(d)))
            """);
        var facts = check.StdOut.Trim().Split(' ');
        Assert.True(facts[0] == "True" && facts[1] == "True" && facts[2] == "uint8", check.StdOut);
        Assert.InRange(int.Parse(facts[3]), 0, 3);
        Assert.InRange(int.Parse(facts[4]), 0, 3);

        // The same volume through the library in this process gives the same labels.
        using var pgsam = PgSamModelCheckpoint.Load(model);
        var expected = new PgSamVolumePredictor(pgsam).Predict(MedicalImage.Load(volume), VolumeIntensity.SynapseCt, "ct");
        var written = MedicalImage.Load(labels);
        Assert.Equal(expected.Labels.Data, written.Data);
        long voxels = root.GetProperty("Classes").EnumerateArray().Sum(c => c.GetProperty("Voxels").GetInt64());
        Assert.Equal(expected.Labels.Data.Count(v => v > 0), voxels);
    }

    [Fact]
    public void PromptsAndSegSamOptionsAreRejectedClearly()
    {
        using var dir = new TempDir();
        string pgsam = TinyPgSam.Save(dir.File("pgsam.safetensors")), volume = Volume(dir), output = dir.File("out");
        manual_seed(4);
        using (var model = new SegSamModel(TinySegSam.Config("sawd"))) SegSamCheckpoint.Save(model, dir.File("segsam.safetensors"));
        string segsam = dir.File("segsam.safetensors");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["--model", pgsam, "--box", "3,3,10,10"], 2, "a PG-SAM model is prompt-free"),
            (["--model", pgsam, "--point", "5,5,1"], 2, "drop --box/--point"),
            (["--model", pgsam, "--slice", "axial:2"], 2, "--slice, --propagate and --range apply to SEG-SAM models"),
            (["--model", pgsam, "--propagate"], 2, "--slice, --propagate and --range apply to SEG-SAM models"),
            (["--model", pgsam, "--modality", "CT"], 2, "give --intensity ct|mr"),
            (["--model", pgsam, "--intensity", "pet"], 2, "--intensity: intensity rule 'pet' is unknown; known: ct, mr"),
            (["--model", pgsam, "--intensity", "mr", "--window", "abdomen"], 2, "does not apply to the mr intensity rule"),
            (["--model", pgsam, "--axis", "oblique"], 2, "--axis: axis 'oblique' is unknown"),
            (["--model", pgsam, "--image-descriptions", "/no/such.json"], 3, "/no/such.json"),
            (["--model", segsam, "--box", "3,3,10,10", "--axis", "axial"], 2, "apply to PG-SAM models only"),
            (["--model", segsam, "--box", "3,3,10,10", "--intensity", "ct"], 2, "apply to PG-SAM models only"),
        ];
        foreach (var (extra, code, message) in cases)
        {
            var run = Support.Cli.Run(["segment", "--image", volume, "--out", output, .. extra]);
            Assert.True(run.ExitCode == code, $"{string.Join(' ', extra)}: {run}");
            Assert.Contains(message, run.StdErr);
            Assert.DoesNotContain("   at ", run.StdErr);
        }
        Assert.False(File.Exists(Path.Combine(output, "labels.nii.gz")));
    }
}
