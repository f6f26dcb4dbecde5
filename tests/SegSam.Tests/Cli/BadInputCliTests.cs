using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>
/// Every command that reads a file answers bad input the same way: exit 3, one line on stderr
/// naming the file and the problem, no stack trace, within seconds.
/// </summary>
public sealed class BadInputCliTests : IDisposable
{
    readonly TempDir dir = new();
    readonly string goodNifti, goodPng, cutNifti, flatNrrd, fifo, badSafetensors, badPth, offLabels;

    public BadInputCliTests()
    {
        var values = Enumerable.Range(0, 16 * 16 * 4).Select(i => (float)(i % 97)).ToArray();
        goodNifti = dir.File("good.nii");
        NiftiFile.Write(goodNifti, new Volume([16, 16, 4], values, Volume.Identity()), "int16");
        goodPng = dir.File("good.png");
        PixelFile.WritePng(goodPng, 16, 16, 1, [.. values.Take(256).Select(v => (byte)v)]);
        cutNifti = dir.File("cut.nii.gz");
        NiftiFile.Write(cutNifti, new Volume([16, 16, 4], values, Volume.Identity()), "int16");
        var gz = File.ReadAllBytes(cutNifti);
        File.WriteAllBytes(cutNifti, gz[..(gz.Length / 2)]);
        flatNrrd = dir.File("flat.nrrd");
        File.WriteAllBytes(flatNrrd, [.. Encoding.ASCII.GetBytes("NRRD0004\ntype: uint8\ndimension: 3\nsizes: 16 16 4\nencoding: raw\nspace: RAS\nspace directions: (1,0,0) (2,0,0) (0,0,1)\n\n"), .. new byte[1024]]);
        // Labels only away from the held-out planes (k ≡ 0 mod 10 on every axis): nothing to evaluate.
        offLabels = dir.File("off-labels.nii");
        var off = new float[16 * 16 * 4];
        for (int z = 1; z < 4; z++) for (int y = 3; y < 8; y++) for (int x = 3; x < 8; x++) off[(z * 16 + y) * 16 + x] = 1;
        NiftiFile.Write(offLabels, new Volume([16, 16, 4], off, Volume.Identity()), "int16");
        fifo = dir.File("pipe.nii");
        Process.Start("mkfifo", [fifo])!.WaitForExit();
        badSafetensors = dir.File("bad.safetensors");
        File.WriteAllBytes(badSafetensors, [.. BitConverter.GetBytes(40UL), .. Encoding.ASCII.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}   ")]);
        badPth = dir.File("bad.pth");
        using (var zip = ZipFile.Open(badPth, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
            s.Write([0x80, 9, (byte)'}', (byte)'.']);
    }

    public void Dispose() => dir.Dispose();

    public static TheoryData<string> Commands =>
    [
        "info --json {cutNifti}",
        "info {flatNrrd}",
        "info {fifo}",
        "checkpoint inspect {badSafetensors}",
        "checkpoint inspect {badPth}",
        "segment --image {cutNifti} --slice axial:1 --box 1,1,8,8 --out {out}",
        "segment --image {fifo} --slice axial:1 --point 4,4,1 --out {out}",
        "segment --image {goodNifti} --slice axial:1 --box 1,1,8,8 --model {badPth} --out {out}",
        "predict --checkpoint {badSafetensors} --model-type vit_t_128 --image {goodPng} --point 4,4,1",
        "evaluate --model {badSafetensors} --image {goodNifti} --labels {goodNifti} --out {out}",
        "evaluate --model {bundled} --image {goodNifti} --labels {flatNrrd} --out {out}",
        "evaluate --model {bundled} --image {goodNifti} --labels {offLabels} --out {out}",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Bad_input_is_exit_3_with_one_line_naming_the_file(string template)
    {
        var files = new Dictionary<string, string>
        {
            ["{goodNifti}"] = goodNifti, ["{goodPng}"] = goodPng, ["{cutNifti}"] = cutNifti, ["{flatNrrd}"] = flatNrrd,
            ["{fifo}"] = fifo, ["{badSafetensors}"] = badSafetensors, ["{badPth}"] = badPth, ["{offLabels}"] = offLabels,
            ["{out}"] = dir.File("out"), ["{bundled}"] = Path.Combine(Fixtures.RepoRoot, "models", "segsam-atlas.safetensors"),
        };
        var args = template.Split(' ').Select(a => files.GetValueOrDefault(a, a)).ToArray();
        var clock = Stopwatch.StartNew();
        var result = Support.Cli.Run(args);
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.ToString());
        string bad = template.Split(' ').Where(a => a is "{cutNifti}" or "{flatNrrd}" or "{fifo}" or "{badSafetensors}" or "{badPth}" or "{offLabels}").Select(a => files[a]).Single();
        Assert.StartsWith($"segsam: error: {bad}: ", lines[0]);
        Assert.DoesNotContain("internal error", lines[0]);
    }

    [Fact]
    public void A_slice_over_8192_squared_pixels_is_refused_before_segmenting()
    {
        // 8200 × 8200 zeros: a 70 KB .nii.gz whose full-size masks and overlays would take gigabytes.
        string big = dir.File("big-slice.nii.gz");
        Python.Run($"import numpy as np, nibabel as nib; nib.save(nib.Nifti1Image(np.zeros((8200, 8200, 1), np.uint8), np.eye(4)), r'{big}')");
        var result = Support.Cli.Run("segment", "--image", big, "--box", "10,10,100,100", "--out", dir.File("big-out"),
            "--model", Path.Combine(Fixtures.RepoRoot, "models", "segsam-atlas.safetensors"));
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.StartsWith($"segsam: error: {big}: its 8200 × 8200 slices have more than the 67108864 pixels", result.StdErr);
        Assert.False(Directory.Exists(dir.File("big-out")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100000")]
    [InlineData("99999999999")]
    [InlineData("two")]
    public void A_thread_count_out_of_range_is_exit_2_with_the_rule(string threads)
    {
        // 100,000 threads used to make libtorch's pool spin past any timeout.
        var result = Support.Cli.Run("--threads", threads, "info", goodNifti);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"--threads expects a whole number from 1 to ", result.StdErr);
        Assert.Contains($"got '{threads}'", result.StdErr);
        Assert.DoesNotContain("System.", result.StdErr);
    }

    [Fact]
    public void Header_text_and_file_names_cannot_write_terminal_escapes_or_forge_lines()
    {
        // NIfTI-1's descrip (80 bytes at offset 148) holding a screen-clearing escape and a newline.
        string hostile = dir.File("descrip.nii");
        var bytes = File.ReadAllBytes(goodNifti);
        var text = Encoding.ASCII.GetBytes("A\u001b[2J\nfake: line");
        Array.Clear(bytes, 148, 80);
        text.CopyTo(bytes, 148);
        File.WriteAllBytes(hostile, bytes);
        var info = Support.Cli.Run("info", hostile);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.DoesNotContain('\u001b', info.StdOut);
        Assert.DoesNotContain(info.StdOut.Split('\n'), line => line.StartsWith("fake:", StringComparison.Ordinal));
        Assert.Contains(@"A\x1B[2J\nfake: line", info.StdOut);

        // An unreadable file whose name recolours the terminal: the error quotes it escaped.
        string badName = dir.File("cut\u001b[31m\u0007.nii.gz");
        File.Copy(cutNifti, badName);
        var error = Support.Cli.Run("info", badName);
        Assert.True(error.ExitCode == 3, error.ToString());
        Assert.Single(error.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain('\u001b', error.StdErr);
        Assert.Contains(@"cut\x1B[31m\x07.nii.gz", error.StdErr);
    }
}
