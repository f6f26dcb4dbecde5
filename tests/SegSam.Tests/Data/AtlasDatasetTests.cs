using SegSam.Data;
using SegSam.Tests.Support;

namespace SegSam.Tests.Data;

/// <summary>The built-in Colin27 + AAL dataset (Debian's mricron-data): split, objects, storage.</summary>
public class AtlasDatasetTests
{
    static readonly Lazy<AtlasDataset.Split> Human = new(() => AtlasDataset.PrepareHuman(128));

    [Fact]
    public void SplitKeepsTrainingSlicesAtLeastThreeMillimetresFromTestSlices()
    {
        var split = Human.Value;
        int Index(LabelledSlice s) => int.Parse(s.Id[^3..]);
        var test = split.Test.Slices.Select(Index).ToList();
        var train = split.Train.Slices.Select(Index).ToList();
        Assert.All(test, k => Assert.Equal(0, k % 10));
        Assert.All(train, k => Assert.True(test.All(t => Math.Abs(t - k) >= 3), $"training slice {k} is near a test slice"));
        Assert.Equal(14, test.Count);
        Assert.Equal(67, train.Count);
        Assert.Equal(116, split.Test.Categories.Length);
        Assert.Equal("Precentral_L", split.Test.Categories[0]);
    }

    [Fact]
    public void HeldOutSetHasThe370ObjectsOfTheBaselineProtocol()
    {
        // The issue's baseline: test slices z ≡ 0 (mod 10) with > 2,000 labelled voxels,
        // 128², objects ≥ 0.153 % of the slice → 370 objects.
        var sampler = new PromptSampler();
        Assert.Equal(370, Human.Value.Test.Slices.Sum(s => sampler.Eligible(s).Count));
    }

    [Fact]
    public void PreparedSlicesRoundTripThroughTheCache()
    {
        using var dir = new TempDir();
        var test = Human.Value.Test;
        test.Save(dir.Path);
        var loaded = SliceDataset.Load(dir.Path);
        Assert.Equal(test.Categories, loaded.Categories);
        Assert.Equal(test.Slices.Select(s => s.Id), loaded.Slices.Select(s => s.Id));
        Assert.Equal(test.Slices[3].Labels, loaded.Slices[3].Labels);
        Assert.Equal(test.Slices[3].Image.Select(v => (float)Math.Round(v)), loaded.Slices[3].Image);
        // numpy reads the cache too.
        var r = Python.Run($"import numpy as np; a = np.load(r'{dir.File("labels.npy")}'); print(a.shape, a.max())");
        Assert.Contains($"({test.Slices.Count}, 128, 128) 116", r.StdOut);
    }

    [Fact]
    public void MissingOrDamagedCacheGivesClearErrors()
    {
        using var dir = new TempDir();
        Assert.Contains("segsam prepare", Assert.Throws<FileNotFoundException>(() => SliceDataset.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("meta.json"), "{ not json");
        Assert.Contains("meta.json", Assert.Throws<InvalidDataException>(() => SliceDataset.Load(dir.Path)).Message);
        Assert.Throws<FileNotFoundException>(() => AtlasDataset.ReadAalNames(dir.File("none.txt")));
    }

    [Fact]
    public void IntensityHelpersFollowTheirDefinitions()
    {
        var window = Intensity.Window([-160f, 40f, 240f, 1000f], 40, 400);
        Assert.Equal([0f, 127.5f, 255f, 255f], window);
        var (low, high) = Intensity.Percentiles([0f, 1f, 2f, 3f, 4f], 0, 50); // zeros ignored: 1..4
        Assert.Equal((1.0, 2.5), (low, high));
    }
}
