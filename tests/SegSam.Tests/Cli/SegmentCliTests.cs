using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>`segsam segment` as a process, with a tiny (untrained) model on small volumes and pictures.</summary>
public class SegmentCliTests
{
    internal static string TinyModel(TempDir dir)
    {
        manual_seed(4);
        using var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true });
        string path = dir.File("tiny.safetensors");
        SegSamCheckpoint.Save(model, path);
        return path;
    }

    /// <summary>An LPS-oriented 24×20×12 volume with a bright block, written by nibabel with an oblique-free affine.</summary>
    static string Volume(TempDir dir)
    {
        string path = dir.File("volume.nii.gz");
        Python.Run($$"""
            import numpy as np, nibabel as nib
            data = np.full((24, 20, 12), 30, np.int16)
            data[6:16, 5:14, 3:9] = 200
            affine = np.array([[-0.8, 0, 0, 10], [0, -0.9, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
            nib.save(nib.Nifti1Image(data, affine), r'{{path}}')
            """);
        return path;
    }

    [Fact]
    public void PropagationWritesALabelVolumeOnTheInputGrid()
    {
        using var dir = new TempDir();
        string model = TinyModel(dir), volume = Volume(dir), output = dir.File("out");
        var run = Support.Cli.Run("segment", "--image", volume, "--model", model, "--slice", "axial:6", "--box", "3,3,14,16",
            "--propagate", "--out", output, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.StdOut);
        var obj = doc.RootElement.GetProperty("Objects")[0];
        Assert.Equal(6, obj.GetProperty("Slice").GetInt32());
        Assert.Contains(obj.GetProperty("Category").GetString(), TinySegSam.Categories);
        foreach (var file in new[] { "labels.nii.gz", "slice.png", "overlay.png", "segmentation.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        // nibabel reads the labels with the input's shape and affine.
        var check = Python.Run($$"""
            import nibabel as nib, numpy as np
            a = nib.load(r'{{volume}}'); b = nib.load(r'{{Path.Combine(output, "labels.nii.gz")}}')
            print(a.shape == b.shape, np.allclose(a.affine, b.affine), int(np.asarray(b.dataobj).max()), b.get_data_dtype())
            """);
        Assert.StartsWith("True True", check.StdOut.Trim());
        // The slice picture is the axial view: 20 rows (A→P), 24 columns (R→L) of the RAS grid.
        var slice = RasterImage.Load(Path.Combine(output, "slice.png"));
        Assert.Equal((20, 24), (slice.Height, slice.Width));
    }

    [Fact]
    public void PicturesAreSegmentedAsStored()
    {
        using var dir = new TempDir();
        string model = TinyModel(dir), output = dir.File("out");
        var pixels = new byte[30 * 40];
        for (int y = 5; y < 15; y++) for (int x = 20; x < 35; x++) pixels[y * 40 + x] = 220;
        PixelFile.WritePng(dir.File("picture.png"), 30, 40, 1, pixels);
        var run = Support.Cli.Run("segment", "--image", dir.File("picture.png"), "--model", model, "--point", "25,10,1", "--out", output);
        Assert.True(run.ExitCode == 0, run.ToString());
        var slice = RasterImage.Load(Path.Combine(output, "slice.png"));
        Assert.Equal((30, 40), (slice.Height, slice.Width));
        Assert.Equal(220, slice.Data[10 * 40 + 25]); // not flipped
        Assert.True(File.Exists(Path.Combine(output, "labels.nii.gz")));
    }

    [Fact]
    public void A_bf16_encoder_segments_the_same_object()
    {
        using var dir = new TempDir();
        string model = TinyModel(dir), volume = Volume(dir);
        string[] Args(string precision, string output) =>
            ["segment", "--image", volume, "--model", model, "--slice", "axial:6", "--box", "3,3,14,16", "--precision", precision, "--out", dir.File(output), "--json"];
        var float32 = Support.Cli.Run(Args("fp32", "a"));
        var bf16 = Support.Cli.Run(Args("bf16", "b"));
        Assert.True(float32.ExitCode == 0, float32.ToString());
        Assert.True(bf16.ExitCode == 0, bf16.ToString());
        var a = MedicalImage.Load(dir.File("a/labels.nii.gz"));
        var b = MedicalImage.Load(dir.File("b/labels.nii.gz"));
        Assert.Equal(a.Dims, b.Dims);
        Assert.True(a.Data.Count(v => v != 0) > 0);
        int differ = a.Data.Zip(b.Data).Count(p => (p.First != 0) != (p.Second != 0));
        Assert.True(differ <= a.Data.Count(v => v != 0) / 10, $"{differ} voxels differ");
    }

    public static TheoryData<string[], int, string> Failures() => new()
    {
        { ["segment", "--image", "/no/such.nii.gz", "--model", "MODEL", "--box", "1,1,5,5", "--out", "OUT"], 3, "/no/such.nii.gz" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL"], 2, "--box or --point" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "14,16,3,3"], 2, "inverted" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,140,16"], 2, "outside" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,14,16", "--slice", "axial:99"], 2, "12 axial slices" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,14,16", "--slice", "up:3"], 2, "AXIS:INDEX" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "/no/model.safetensors", "--box", "3,3,14,16"], 3, "/no/model.safetensors" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,14,16", "--propagate", "--range", "9:2"], 2, "--range: 9:2" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,14,16", "--propagate", "--range", "8:11"], 2, "prompted slice 6" },
        { ["segment", "--image", "IMAGE", "--out", "OUT", "--model", "MODEL", "--box", "3,3,14,16", "--precision", "fp8"], 2, "--precision: unknown precision 'fp8'; known: fp32, bf16" },
        // Output folders that can never be written are refused before the model runs.
        { ["segment", "--image", "IMAGE", "--out", "MODEL", "--model", "MODEL", "--box", "3,3,14,16"], 2, "tiny.safetensors is a file, not a folder" },
        { ["segment", "--image", "IMAGE", "--out", "MODEL/sub", "--model", "MODEL", "--box", "3,3,14,16"], 2, "cannot be made: " },
        { ["segment", "--image", "IMAGE", "--out", "", "--model", "MODEL", "--box", "3,3,14,16"], 2, "--out: give an output folder" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void BadArgumentsGetClearErrors(string[] template, int exitCode, string mentioned)
    {
        using var dir = new TempDir();
        string model = TinyModel(dir), volume = Volume(dir);
        var args = template.Select(a => a switch { "IMAGE" => volume, "OUT" => dir.File("out"), "MODEL" => model, "MODEL/sub" => model + "/sub", _ => a }).ToArray();
        var run = Support.Cli.Run(args);
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(mentioned, run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }
}
