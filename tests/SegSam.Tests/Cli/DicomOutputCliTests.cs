using System.Text.Json;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>
/// `segsam segment --out-format`: DICOM SEG and RTSTRUCT next to (or instead of) labels.nii.gz,
/// listed in segmentation.json, for a propagated SEG-SAM object and a PG-SAM label map on an
/// oblique CT series; a NIfTI input asked for DICOM output is refused (exit 3, named) before
/// anything is written; an unknown format is a usage error.
/// </summary>
public class DicomOutputCliTests
{
    static string TinySegSamModel(TempDir dir) => SegmentCliTests.TinyModel(dir);

    static string Series(TempDir dir)
    {
        string series = dir.File("series");
        Directory.CreateDirectory(series);
        DicomOutputTests.WriteCtSeries(series, oblique: true);
        return series;
    }

    /// <summary>Runs the independent check of <see cref="DicomOutputTests"/> on a run's outputs against its labels.nii.gz.</summary>
    static JsonElement Check(TempDir dir, string series, string output, IReadOnlyList<LabelCategory> names)
    {
        string expected = dir.File("labels.f32");
        Python.Run($$"""
            import nibabel as nib, numpy as np
            d = np.asarray(nib.load(r'{{Path.Combine(output, "labels.nii.gz")}}').dataobj)
            assert (d != 0).any(), 'no labelled voxel'
            d.transpose(2, 1, 0).astype('<f4').tofile(r'{{expected}}')
            """);
        string seg = Path.Combine(output, "segmentation.seg.dcm"), rt = Path.Combine(output, "rtstruct.dcm");
        DicomOutputTests.AssertDciodvfyFindsNoErrors(seg);
        DicomOutputTests.AssertDciodvfyFindsNoErrors(rt);
        var r = DicomOutputTests.IndependentCheck(series, seg, rt, expected, names);
        Assert.True(r.GetProperty("seg_exact").GetBoolean(), r.ToString());
        foreach (var roi in r.GetProperty("rt_dice").EnumerateObject())
            Assert.True(roi.Value.GetDouble() >= 0.97, r.ToString());
        return r;
    }

    static string[] Files(JsonElement root) => [.. root.GetProperty("Files").EnumerateArray().Select(f => Path.GetFileName(f.GetString()!))];

    [Fact]
    public void PropagatedObjectIsWrittenAsNiftiSegAndRtStruct()
    {
        using var dir = new TempDir();
        string model = TinySegSamModel(dir), series = Series(dir), output = dir.File("out");
        var run = Support.Cli.Run("segment", "--image", series, "--model", model, "--slice", "axial:4", "--box", "4,5,15,18", "--propagate",
            "--out", output, "--out-format", "nifti,dicom-seg,rtstruct", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var root = JsonDocument.Parse(run.StdOut).RootElement;
        Assert.Equal(["labels.nii.gz", "segmentation.seg.dcm", "rtstruct.dcm", "slice.png", "overlay.png", "segmentation.json"], Files(root));
        var obj = root.GetProperty("Objects")[0];
        var r = Check(dir, series, output, [new LabelCategory(obj.GetProperty("LabelValue").GetInt32(), obj.GetProperty("Category").GetString()!)]);
        Assert.Equal("SegSam SEG-SAM tiny", r.GetProperty("seg_algorithm").GetString());
    }

    [Fact]
    public void PgSamLabelMapIsWrittenAsSegAndRtStruct()
    {
        using var dir = new TempDir();
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors")), series = Series(dir), output = dir.File("out");
        var run = Support.Cli.Run("segment", "--model", model, "--image", series, "--intensity", "ct", "--out", output,
            "--out-format", "dicom-seg,rtstruct,nifti", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var root = JsonDocument.Parse(run.StdOut).RootElement;
        Assert.Equal(["labels.nii.gz", "segmentation.seg.dcm", "rtstruct.dcm", "segmentation.json"], Files(root));
        var names = root.GetProperty("Labels").EnumerateObject().Where(l => l.Name != "0")
            .Select(l => new LabelCategory(int.Parse(l.Name), l.Value.GetString()!)).ToList();
        var r = Check(dir, series, output, names);
        Assert.Equal("SegSam PG-SAM pgsam", r.GetProperty("seg_algorithm").GetString());
    }

    [Fact]
    public void DicomOnlyOutputLeavesOutTheNifti()
    {
        using var dir = new TempDir();
        string model = TinySegSamModel(dir), series = Series(dir), output = dir.File("out");
        var run = Support.Cli.Run("segment", "--image", series, "--model", model, "--box", "4,5,15,18", "--out", output, "--out-format", "dicom-seg", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["segmentation.seg.dcm", "slice.png", "overlay.png", "segmentation.json"], Files(JsonDocument.Parse(run.StdOut).RootElement));
        Assert.False(File.Exists(Path.Combine(output, "labels.nii.gz")));
        DicomOutputTests.AssertDciodvfyFindsNoErrors(Path.Combine(output, "segmentation.seg.dcm"));
    }

    [Fact]
    public void NonDicomInputWithDicomOutputIsRefusedNamingTheInput()
    {
        using var dir = new TempDir();
        string model = TinySegSamModel(dir), output = dir.File("out");
        string volume = dir.File("volume.nii.gz");
        Python.Run($$"""
            import numpy as np, nibabel as nib
            nib.save(nib.Nifti1Image(np.full((12, 10, 4), 30, np.int16), np.diag([0.8, 0.8, 2.5, 1])), r'{{volume}}')
            """);
        var run = Support.Cli.Run("segment", "--image", volume, "--model", model, "--box", "2,2,8,8", "--out", output, "--out-format", "nifti,rtstruct");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains($"{volume}: is not a DICOM series", run.StdErr);
        Assert.False(Directory.Exists(output), "nothing may be written for a refused run");

        var bad = Support.Cli.Run("segment", "--image", volume, "--model", model, "--box", "2,2,8,8", "--out", output, "--out-format", "nifti,dicom");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'dicom' is not nifti, dicom-seg or rtstruct", bad.StdErr);
    }
}
