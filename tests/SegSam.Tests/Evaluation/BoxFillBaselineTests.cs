using System.Globalization;
using System.Text.RegularExpressions;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Tests.Support;

namespace SegSam.Tests.Evaluation;

/// <summary>The filled-box baseline: by hand on one object, and equal to the independent NumPy/SciPy script on real slices.</summary>
public class BoxFillBaselineTests
{
    [Fact]
    public void FilledBoxScoresTheObjectsShareOfItsBox()
    {
        // An L of 3 + 2 pixels in a 3×3 box: the box fill scores 2·5 / (5 + 9).
        var labels = new int[36];
        foreach (int i in new[] { 6 * 1 + 1, 6 * 2 + 1, 6 * 3 + 1, 6 * 3 + 2, 6 * 3 + 3 }) labels[i] = 1;
        var data = new SliceDataset { Name = "l", Categories = ["L"], Slices = [new LabelledSlice("s", 6, 6, new float[36], labels)] };
        Assert.Equal(10.0 / 14, BoxFillBaseline.MeanDice(data), 12);
        Assert.True(double.IsNaN(BoxFillBaseline.MeanDice(new SliceDataset { Name = "empty", Slices = [] })));
    }

    [Fact]
    public void EqualsTheNumpyScriptOnTheMacaqueTissueClasses()
    {
        using var dir = new TempDir();
        var set = AtlasDataset.PrepareMacaqueTissue(128);
        set.Save(dir.Path);
        string output = Python.Run(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "scripts", "box_fill_dsc.py")), [dir.Path]).StdOut;
        double expected = double.Parse(Regex.Match(output, "box-fill DSC ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(expected, BoxFillBaseline.MeanDice(set), 4);
    }
}
