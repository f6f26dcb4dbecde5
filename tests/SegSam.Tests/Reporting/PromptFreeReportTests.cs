using System.Text.RegularExpressions;
using SegSam.Evaluation;
using SegSam.Imaging;
using SegSam.Reporting;

namespace SegSam.Tests.Reporting;

public class LabelMapRendererTests
{
    [Fact]
    public void EachLabelGetsItsColourOverTheGrayAndBackgroundStaysGray()
    {
        var gray = Enumerable.Repeat(100f, 6).ToArray();
        var image = LabelMapRenderer.Render(2, 3, gray, [0, 1, 2, 0, 8, 11], scale: 2);
        Assert.Equal((4, 6), (image.Height, image.Width));
        Assert.Equal(new Rgb(100, 100, 100), image[0, 0]);
        // 60 % of tab10's blue (31, 119, 180) over gray 100.
        Assert.Equal(new Rgb(59, 111, 148), image[1, 3]);
        Assert.NotEqual(image[0, 2], image[0, 4]);
        Assert.Equal(LabelMapRenderer.ColorOf(1), LabelMapRenderer.ColorOf(11)); // ten colours, then they repeat
        Assert.Equal(image[2, 2], image[3, 3]);
    }

    [Fact]
    public void PicturesSideBySideKeepTheirPixelsWithAWhiteGap()
    {
        var a = LabelMapRenderer.Render(2, 2, new float[4], [1, 1, 1, 1]);
        var b = LabelMapRenderer.Render(3, 1, new float[3], [0, 0, 0]);
        var row = LabelMapRenderer.Beside([a, b], gap: 2);
        Assert.Equal((3, 5), (row.Height, row.Width));
        Assert.Equal(a[1, 1], row[1, 1]);
        Assert.Equal(new Rgb(255, 255, 255), row[0, 2]);
        Assert.Equal(new Rgb(255, 255, 255), row[2, 0]); // below the shorter picture
        Assert.Equal(new Rgb(0, 0, 0), row[2, 4]);
    }

    [Fact]
    public void MismatchedSizesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => LabelMapRenderer.Render(2, 2, new float[4], [0, 1, 2]));
        Assert.Throws<ArgumentException>(() => LabelMapRenderer.Beside([]));
    }
}

public class PromptFreeReportTests
{
    static readonly string[] Structures = ["frontal", "temporal <b>"];

    static PromptFreeSection Section()
    {
        var objects = new List<ObjectResult>
        {
            new("frontal", "MR", "none", 0.8, 0.67, null, null, 4.0, null, "s1"),
            new("frontal", "MR", "none", 0.6, 0.43, null, null, 6.0, null, "s2"),
            new("temporal <b>", "MR", "none", 0.5, 0.33, null, null, 9.0, null, "s1"),
        };
        var grid = new Volume([4, 4, 4], new float[64], Volume.Identity(), "vol");
        var labels = Enumerable.Range(0, 64).Select(i => (float)(i % 3)).ToArray();
        var volume = new WholeVolumeResult("Colin27", grid, grid.WithData(labels, "uint8"), grid.WithData(labels, "uint8"), Structures,
            [new StructureVolumeScore("frontal", 0.75, 3.5, 10, 12), new StructureVolumeScore("temporal <b>", 0.25, 8.25, 5, 9)],
            new StructureVolumeScore("all structures", 0.9, 2, 15, 21));
        var png = LabelMapRenderer.Render(2, 2, new float[4], [0, 1, 2, 0]).ToPng();
        return new PromptFreeSection("tiny <model>", Structures, MetricsReport.Build(objects))
        {
            WholeVolume = volume,
            CrossDataset = volume with { Name = "macaque", Scores = [], Foreground = new StructureVolumeScore("all structures", 0.55, 7, 1, 2) },
            Gallery = [new ReportFigure(png, "s1", "mean Dice 0.650 over 2 structures"), new ReportFigure(png, "s2")],
            VolumeViews = [new ReportFigure(png, "Colin27: prediction", "sagittal x = 1")],
            ModelCard = "# Card\n\nPrompt-free.",
        };
    }

    [Fact]
    public void SectionShowsTheTableChartLegendGalleryAndViews()
    {
        var content = new ReportContent("demo", MetricsReport.Build([])) { PromptFree = Section() };
        string html = HtmlReport.Render(content);
        Assert.Contains("<a href=\"#prompt-free\">Prompt-free</a>", html);
        Assert.Contains("<h2 id=\"prompt-free\">Prompt-free segmentation</h2>", html);
        Assert.Contains("tiny &lt;model&gt;", html);
        Assert.DoesNotContain("<b>", html);
        // frontal: n 2, mean 2D Dice 0.700, HD95 5.0; 3D 0.750 / 3.5. Mean over structures: 0.600, 7.0; 3D 0.500, 5.9.
        Assert.Matches(new Regex("frontal</td><td>2</td><td[^>]*>0.700</td><td>5.0</td><td[^>]*>0.750</td><td>3.5</td>"), html);
        Assert.Contains("<tr><th>mean</th><th>3</th><th>0.600</th><th>7.0</th><th>0.500</th><th>5.9</th></tr>", html);
        Assert.Contains("Colin27, all structures together against all atlas-labelled voxels: 3D DSC 0.900", html);
        Assert.Contains("macaque, all structures together against all atlas-labelled voxels: 3D DSC 0.550", html);
        // The legend names every structure in its colour, as the label maps paint them.
        Assert.Contains($"background:{LabelMapRenderer.ColorOf(1).Hex}\"></span>frontal", html);
        Assert.Contains($"background:{LabelMapRenderer.ColorOf(2).Hex}\"></span>temporal &lt;b&gt;", html);
        Assert.Contains("mean Dice 0.650 over 2 structures", html);
        Assert.Contains("Colin27: prediction", html);
        Assert.Contains("<h3>Card</h3>", html);
        // The chart, two gallery figures and one view.
        Assert.Equal(4, Regex.Matches(html, "<img ").Count);
    }

    [Fact]
    public void StructureChartKeepsTheGivenOrderAndRefusesShortSeries()
    {
        byte[] png = Charts.StructureDice(Structures, [("2D", [0.7, null]), ("3D", [0.75, 0.25])], "title");
        Assert.Equal(900, ReportFixtures.PngSize(png).Width);
        Assert.Throws<ArgumentException>(() => Charts.StructureDice(Structures, [("2D", [0.7])], "title"));
    }
}
