using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>The real `segsam` process: parity through `predict`, help, exit codes and messages.</summary>
public class PredictCliTests
{
    static string Invariant(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string> Cases => Fixtures.Cases("sam-parity");

    [Theory]
    [MemberData(nameof(Cases))]
    public void PredictReproducesEveryReferenceCase(string name)
    {
        var fixture = new SamParityCase(Fixtures.CaseDir("sam-parity", name));
        using var dir = new TempDir();
        foreach (var c in fixture.Prompts)
        {
            // Odd cases start from the raw original (our Pillow resize, the reference's set_image),
            // even ones from the reference's resized image (its set_torch_image): one process each.
            string[] image = c.Index % 2 == 1
                ? ["--image", fixture.File("image.npy")]
                : ["--image", fixture.File("image_resized.npy"), "--pre-resized", $"{fixture.OriginalSize.H},{fixture.OriginalSize.W}"];
            List<string> args =
            [
                "predict", "--checkpoint", fixture.File("model.pth"), "--config", fixture.File("config.json"),
                .. image,
                "--out-logits", dir.File($"{c.Index}_masks.npy"), "--out-iou", dir.File($"{c.Index}_iou.npy"),
                "--out-lowres", dir.File($"{c.Index}_lowres.npy"), "--out-embedding", dir.File("embedding.npy"),
                "--out-mask", dir.File($"{c.Index}_mask.png"),
            ];
            foreach (var p in c.Prompt.Points) args.AddRange(["--point", $"{Invariant(p.X)},{Invariant(p.Y)},{p.Label}"]);
            if (c.Prompt.Box is { } b) args.AddRange(["--box", $"{Invariant(b.X0)},{Invariant(b.Y0)},{Invariant(b.X1)},{Invariant(b.Y1)}"]);
            if (c.MaskInputFile is { } m) args.AddRange(["--mask-input", fixture.File(m)]);
            if (c.Multimask) args.Add("--multimask");

            var run = Support.Cli.Run([.. args]);
            Assert.True(run.ExitCode == 0, run.ToString());
            foreach (var what in new[] { "masks", "iou", "lowres" })
            {
                var actual = NpyFile.Read(dir.File($"{c.Index}_{what}.npy"));
                SamParityCase.AssertClose(fixture.Expected(c.Index, what), actual.ToFloat32(), actual.Shape, 2e-4, true, $"case {c.Index} {what}");
            }
            var embedding = NpyFile.Read(dir.File("embedding.npy"));
            SamParityCase.AssertClose(NpyFile.Read(fixture.File("embedding.npy")), embedding.ToFloat32(), embedding.Shape, 1e-4, false, "embedding");

            // The PNG is the best mask (highest IoU) of the reference logits, thresholded at 0.
            var logits = fixture.Expected(c.Index, "masks").ToFloat32();
            var iou = fixture.Expected(c.Index, "iou").ToFloat32();
            int best = Array.IndexOf(iou, iou.Max()), n = fixture.OriginalSize.H * fixture.OriginalSize.W;
            var png = RasterImage.Load(dir.File($"{c.Index}_mask.png"));
            int disagreements = Enumerable.Range(0, n).Count(i => (png.Data[i] > 127) != (logits[best * n + i] > 0));
            Assert.True(disagreements <= 2, $"case {c.Index}: {disagreements} mask pixels differ from the reference"); // only logits within 2e-4 of 0 may flip
        }
    }

    [Fact]
    public void JsonOutputDescribesTheMasks()
    {
        var fixture = new SamParityCase(Fixtures.CaseDir("sam-parity", "tiny-a"));
        var run = Support.Cli.Run("predict", "--checkpoint", fixture.File("model.pth"), "--config", fixture.File("config.json"),
            "--image", fixture.File("image.npy"), "--box", "12.8,16,44.8,51.2", "--multimask", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.StdOut);
        Assert.Equal(3, doc.RootElement.GetProperty("masks").GetArrayLength());
        var expected = fixture.Expected(2, "iou").ToFloat32();
        var first = doc.RootElement.GetProperty("masks")[0].GetProperty("iou").GetSingle();
        Assert.True(Math.Abs(expected[0] - first) < 1e-4);
    }

    [Fact]
    public void HelpListsCommandsAndOptions()
    {
        var root = Support.Cli.Run("--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("predict", root.StdOut);
        Assert.Contains("checkpoint", root.StdOut);
        var predict = Support.Cli.Run("predict", "--help");
        Assert.Equal(0, predict.ExitCode);
        foreach (var option in new[] { "--checkpoint", "--pre-resized", "--point", "--box", "--mask-input", "--multimask", "--out-embedding" })
            Assert.Contains(option, predict.StdOut);
    }

    public static TheoryData<string[], int, string> Failures()
    {
        string fx = Fixtures.CaseDir("sam-parity", "tiny-a");
        string model = Path.Combine(fx, "model.pth"), config = Path.Combine(fx, "config.json"), image = Path.Combine(fx, "image.npy");
        return new()
        {
            { ["predict", "--image", image], 2, "--checkpoint" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--point", "1,2"], 2, "x,y,label" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--point", "1,2,7"], 2, "label" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--point", "100,2,1"], 2, "outside" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--box", "40,40,10,10"], 2, "inverted" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--box", "a,b,c,d"], 2, "not a number" },
            { ["predict", "--checkpoint", model, "--model-type", "vit_q", "--image", image], 2, "vit_b_256" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", "/no/such/image.png"], 3, "/no/such/image.png" },
            { ["predict", "--checkpoint", "/no/such/model.pth", "--config", config, "--image", image], 3, "/no/such/model.pth" },
            { ["predict", "--checkpoint", model, "--model-type", "vit_b", "--image", image], 3, "does not match" },
            { ["predict", "--checkpoint", model, "--image", image], 3, "--model-type" },
            { ["predict", "--checkpoint", config, "--config", config, "--image", image], 3, "config.json" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", config], 3, "config.json" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--mask-input", image], 3, "mask input" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--pre-resized", "64"], 2, "H,W" },
            { ["predict", "--checkpoint", model, "--config", config, "--image", image, "--pre-resized", "2000000000,2000000000"], 2, "--pre-resized: an original size of 2000000000×2000000000 is not possible" },
            { ["checkpoint", "inspect", "/no/such/file.safetensors"], 3, "/no/such/file.safetensors" },
            { ["frobnicate"], 2, "frobnicate" },
        };
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void BadInputGetsAClearMessageAndExitCode(string[] args, int exitCode, string mentioned)
    {
        var run = Support.Cli.Run(args);
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(mentioned, run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr); // no stack trace
        Assert.DoesNotContain("Unhandled exception", run.StdErr);
    }

    [Fact]
    public void AStripOnePixelHighIsStillAnImage()
    {
        // Scaled to the encoder's side, its height rounds to 0 in the reference's rule; SegSam keeps 1 pixel.
        using var dir = new TempDir();
        string strip = dir.File("strip.png");
        PixelFile.WritePng(strip, 1, 2000, 1, [.. Enumerable.Range(0, 2000).Select(i => (byte)(i % 251))]);
        string fx = Fixtures.CaseDir("sam-parity", "tiny-a");
        var run = Support.Cli.Run("predict", "--checkpoint", Path.Combine(fx, "model.pth"), "--config", Path.Combine(fx, "config.json"),
            "--image", strip, "--point", "1000,0,1", "--out-mask", dir.File("mask.png"));
        Assert.True(run.ExitCode == 0, run.ToString());
        var mask = RasterImage.Load(dir.File("mask.png"));
        Assert.Equal((1, 2000), (mask.Height, mask.Width));
    }

    [Fact]
    public void CheckpointInspectListsTensors()
    {
        string model = Path.Combine(Fixtures.CaseDir("sam-parity", "tiny-a"), "model.pth");
        var run = Support.Cli.Run("checkpoint", "inspect", model);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("image_encoder.pos_embed", run.StdOut);
        Assert.Contains("[1, 8, 8, 64]", run.StdOut);
        Assert.Contains("202 tensors", run.StdOut);
        var json = Support.Cli.Run("checkpoint", "inspect", model, "--json");
        using var doc = JsonDocument.Parse(json.StdOut);
        Assert.Equal(202, doc.RootElement.GetProperty("tensors").GetArrayLength());
    }
}
