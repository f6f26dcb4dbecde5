using System.Buffers.Binary;
using System.Text.RegularExpressions;
using SegSam.Evaluation;
using SegSam.Reporting;
using SegSam.Tests.Support;
using SegSam.Imaging;

namespace SegSam.Tests.Reporting;

public class OverlayRendererTests
{
    const int H = 10, W = 12;

    static byte[] Rect(int y0, int y1, int x0, int x1)
    {
        var mask = new byte[H * W];
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) mask[y * W + x] = 1;
        return mask;
    }

    static OverlaySlice Slice() => new(H, W, Enumerable.Repeat(100f, H * W).ToArray())
    {
        Truth = Rect(2, 6, 3, 8),
        Predicted = Rect(3, 7, 4, 9),
        Box = new OverlayBox(1, 1, 10, 8),
    };

    static readonly Rgb Tinted = new(154, 65, 154); // gray 100 blended 35 % toward magenta

    [Fact]
    public void GroundTruthOutlineIsGreen()
    {
        var image = OverlayRenderer.Render(Slice());
        Assert.Equal(OverlayRenderer.TruthColor, image[2, 5]); // top edge of the truth, above the prediction
        Assert.Equal(OverlayRenderer.TruthColor, image[6, 3]); // bottom-left corner
    }

    [Fact]
    public void PredictedInteriorIsTintedAndOutsideStaysGray()
    {
        var image = OverlayRenderer.Render(Slice());
        Assert.Equal(Tinted, image[5, 6]);
        Assert.Equal(OverlayRenderer.PredictedColor, image[7, 9]);
        Assert.Equal(new Rgb(100, 100, 100), image[0, 0]);
    }

    [Fact]
    public void BoxCornersAreYellow()
    {
        var image = OverlayRenderer.Render(Slice());
        foreach (var (y, x) in new[] { (1, 1), (1, 10), (8, 1), (8, 10) })
            Assert.Equal(OverlayRenderer.BoxColor, image[y, x]);
        Assert.NotEqual(OverlayRenderer.BoxColor, image[0, 0]);
    }

    [Fact]
    public void ClicksAreDiscsColouredByLabel()
    {
        var image = OverlayRenderer.Render(new OverlaySlice(H, W, new float[H * W])
        {
            Clicks = [new OverlayClick(2, 2, Positive: true), new OverlayClick(9, 7, Positive: false)],
        });
        Assert.Equal(OverlayRenderer.PositiveClickColor, image[2, 2]);
        Assert.Equal(OverlayRenderer.NegativeClickColor, image[7, 9]);
    }

    [Fact]
    public void UpscalingByThreeTriplesTheSizeNearestNeighbour()
    {
        var image = OverlayRenderer.Render(Slice(), scale: 3);
        Assert.Equal((3 * H, 3 * W), (image.Height, image.Width));
        Assert.Equal(Tinted, image[3 * 5 + 1, 3 * 6 + 1]);
        Assert.Equal(OverlayRenderer.BoxColor, image[3, 3]);
        Assert.Equal(OverlayRenderer.BoxColor, image[3 * 8 + 2, 3 * 10 + 2]);
    }

    [Fact]
    public void GrayIsClampedAndNaNIsBlack()
    {
        var image = OverlayRenderer.Render(new OverlaySlice(1, 3, [-20f, 300f, float.NaN]));
        Assert.Equal([0, 0, 0, 255, 255, 255, 0, 0, 0], image.Pixels);
    }

    [Fact]
    public void MismatchedMaskIsRejected()
    {
        var slice = Slice() with { Truth = new byte[5] };
        Assert.Contains("ground-truth", Assert.Throws<ArgumentException>(() => OverlayRenderer.Render(slice)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OverlayRenderer.Render(Slice(), scale: 0));
    }

    [Fact]
    public void PngDecodesToTheSamePixels()
    {
        var image = OverlayRenderer.Render(Slice(), scale: 2);
        var decoded = StbImageSharp.ImageResult.FromMemory(image.ToPng(), StbImageSharp.ColorComponents.RedGreenBlue);
        Assert.Equal((image.Width, image.Height), (decoded.Width, decoded.Height));
        Assert.Equal(image.Pixels, decoded.Data);
    }
}

public class ChartsTests
{
    [Fact]
    public void CategoryChartGrowsWithManyCategories()
    {
        byte[] png = Charts.CategoryDice(ReportFixtures.Metrics(116));
        var (width, height) = ReportFixtures.PngSize(png);
        Assert.Equal(900, width);
        Assert.True(height > 116 * 16, $"height {height}");
        Assert.True(png.Length > 20_000, $"{png.Length} bytes");
    }

    [Fact]
    public void TrainingCurvesRender()
    {
        using var dir = new TempDir();
        string path = ReportFixtures.WriteLog(dir.File("train_log.jsonl"), steps: 120, stepsPerEpoch: 40);
        var log = TrainingLog.Read(path);
        Assert.Equal(120, log.Steps.Count);
        Assert.Equal(3, log.Epochs.Count);
        Assert.Equal(0.0003, log.Steps[0].LearningRate);
        Assert.Equal(["bin", "iou", "ce", "sem_dice", "cmsa", "bce", "total"], log.Steps[0].Loss.Keys);

        byte[] png = Charts.TrainingCurves(log);
        Assert.Equal((1000, 900), ReportFixtures.PngSize(png));
        Assert.True(png.Length > 20_000, $"{png.Length} bytes");
    }

    [Fact]
    public void MalformedLogLineNamesFileAndLine()
    {
        using var dir = new TempDir();
        string path = ReportFixtures.WriteLog(dir.File("train_log.jsonl"), steps: 5, stepsPerEpoch: 5);
        File.AppendAllText(path, "\n{\"epoch\":2,\"step\":6,\"lr\":0.0003,\"lo");
        var e = Assert.Throws<InvalidDataException>(() => TrainingLog.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 8", e.Message); // 5 steps, 1 epoch end, 1 blank line, then the torn one
    }

    [Fact]
    public void MissingFieldIsNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => TrainingLog.Parse(
            ["{\"epoch\":1,\"step\":1,\"elapsed_s\":1.0,\"loss\":{\"total\":1.0}}"], "log.jsonl"));
        Assert.Equal("log.jsonl: line 1: \"lr\" is missing or not a number", e.Message);
    }

    [Fact]
    public void OtherEntryKindsAreSkipped()
    {
        var log = TrainingLog.Parse(["{\"eval\":1,\"dice\":0.8}", "{\"epoch_end\":1,\"step\":3,\"mean_loss\":0.5,\"elapsed_s\":2.5}"], "log");
        Assert.Empty(log.Steps);
        Assert.Equal(new EpochEnd(1, 3, 0.5, 2.5), Assert.Single(log.Epochs));
    }
}

public class HtmlReportTests
{
    static ReportContent Content(string? logPath = null)
    {
        var metrics = ReportFixtures.Metrics(12);
        var odd = metrics.Objects[0] with { Source = "<script>alert('x')</script>", Category = "A&B <small>", ClassCorrect = false, PredictedCategory = "Liver" };
        var slice = new OverlaySlice(8, 8, new float[64]) { Truth = new byte[64], Box = new OverlayBox(1, 1, 5, 5) };
        byte[] png = OverlayRenderer.Render(slice, scale: 2).ToPng();
        return new ReportContent("SegSam <evaluation>", MetricsReport.Build(metrics.Objects.Append(odd)))
        {
            Facts = [new("dataset", "AAL & friends"), new("wall time", "12 min")],
            Overlays = [new ReportOverlay(png, odd), new ReportOverlay(png, metrics.Objects[1])],
            TrainingLogPath = logPath,
            ModelCard = "# SegSam model\n\nTrained on *fake* data with `segsam <train>`.\n\n- box prompts\n- point prompts\n\n| a | b |\n|---|---|\n| **1** | <2> |",
            CommandLine = "segsam evaluate --data x --out \"y z\"",
        };
    }

    [Fact]
    public void NamesEveryCategoryAndEscapesText()
    {
        var content = Content();
        string html = HtmlReport.Render(content);
        foreach (var g in content.Metrics.PerCategory) Assert.Contains(System.Net.WebUtility.HtmlEncode(g.Group), html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("A&amp;B &lt;small&gt;", html);
        Assert.Contains("<title>SegSam &lt;evaluation&gt;</title>", html);
        Assert.Contains("segsam evaluate --data x --out &quot;y z&quot;", html);
        Assert.Contains("<h3>SegSam model</h3>", html);
        Assert.Contains("<li>box prompts</li>", html);
        Assert.Contains("with <code>segsam &lt;train&gt;</code>.", html);
        Assert.Contains("<table><tr><th>a</th><th>b</th></tr><tr><td><strong>1</strong></td><td>&lt;2&gt;</td></tr></table>", html);
    }

    [Fact]
    public void IsSelfContainedWithPngImages()
    {
        using var dir = new TempDir();
        string log = ReportFixtures.WriteLog(dir.File("train_log.jsonl"), steps: 60, stepsPerEpoch: 20);
        string path = dir.File("report.html");
        HtmlReport.Write(path, Content(log));
        string html = File.ReadAllText(path);

        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        var images = Regex.Matches(html, "src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");
        Assert.Equal(4, images.Count); // DSC chart, training curves, two overlays
        foreach (Match m in images)
            Assert.Equal(ReportFixtures.PngSignature, Convert.FromBase64String(m.Groups[1].Value)[..8]);
        Assert.Equal(Regex.Matches(html, "<img ").Count, images.Count);
    }

    [Fact]
    public void BrokenTrainingLogFailsWithoutWritingTheReport()
    {
        using var dir = new TempDir();
        string log = dir.File("train_log.jsonl");
        File.WriteAllText(log, "not json\n");
        string path = dir.File("report.html");
        var e = Assert.Throws<InvalidDataException>(() => HtmlReport.Write(path, Content(log)));
        Assert.Contains($"{log}: line 1", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void EmptyReportStillRenders()
    {
        string html = HtmlReport.Render(new ReportContent("empty", MetricsReport.Build([])));
        Assert.Contains("No objects were evaluated.", html);
        Assert.DoesNotContain("<img", html);
    }
}

static class ReportFixtures
{
    public static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from a PNG's IHDR chunk, after checking the signature.</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.Equal(PngSignature, png[..8]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>Three objects per category under box and point prompts, with made-up but varied metrics.</summary>
    public static MetricsReport Metrics(int categories)
    {
        var rng = new Random(7);
        var objects = new List<ObjectResult>();
        for (int c = 0; c < categories; c++)
            foreach (string prompt in new[] { "box", "point" })
                for (int k = 0; k < 3; k++)
                {
                    double dice = Math.Clamp(0.9 - 0.5 * c / categories - (prompt == "point" ? 0.1 : 0) + 0.05 * rng.NextDouble(), 0, 1);
                    bool correct = rng.NextDouble() < 0.85;
                    objects.Add(new ObjectResult($"Region_{c:D3}_L", c % 3 == 0 ? "MR" : "CT", prompt, dice, dice / (2 - dice),
                        correct, correct ? $"Region_{c:D3}_L" : "Region_000_L", 2 + 10 * rng.NextDouble(), dice, $"case{k}_z{c}"));
                }
        return MetricsReport.Build(objects);
    }

    /// <summary>A train_log.jsonl as the trainer writes it: step lines and an epoch_end line after each epoch.</summary>
    public static string WriteLog(string path, int steps, int stepsPerEpoch)
    {
        var lines = new List<string>();
        double epochSum = 0;
        for (int s = 1; s <= steps; s++)
        {
            double total = 2 * Math.Exp(-s / 40.0) + 0.3 + 0.1 * Math.Sin(s);
            epochSum += total;
            int epoch = (s - 1) / stepsPerEpoch + 1;
            lines.Add(FormattableString.Invariant(
                $"{{\"epoch\":{epoch},\"step\":{s},\"lr\":{0.0003 * (s < 10 ? 1 : 0.5)},\"elapsed_s\":{s * 0.5},\"loss\":{{\"bin\":{total * 0.3},\"iou\":{total * 0.1},\"ce\":{total * 0.2},\"sem_dice\":{total * 0.2},\"cmsa\":{total * 0.1},\"bce\":{total * 0.1},\"total\":{total}}}}}"));
            if (s % stepsPerEpoch == 0)
            {
                lines.Add(FormattableString.Invariant($"{{\"epoch_end\":{epoch},\"step\":{s},\"mean_loss\":{epochSum / stepsPerEpoch},\"elapsed_s\":{s * 0.5}}}"));
                epochSum = 0;
            }
        }
        File.WriteAllLines(path, lines);
        return path;
    }
}
