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
    public void HeldOutSetHasThe374ObjectsOfTheBaselineProtocol()
    {
        // The issue's baseline: test slices z ≡ 0 (mod 10) with > 2,000 labelled voxels,
        // 128², objects ≥ 0.153 % of the slice → 374 objects. (370 before labels were resized at
        // pixel centres: legacy nearest moved them half a pixel off their image, SliceGeometryTests.)
        var sampler = new PromptSampler();
        Assert.Equal(374, Human.Value.Test.Slices.Sum(s => sampler.Eligible(s).Count));
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
    public void TrainingSlicesCarryClassAgnosticObjectsWithVisibleBorders()
    {
        var split = Human.Value;
        Assert.Equal(AgnosticObjects.MapNames, split.Train.ObjectMapNames);
        Assert.All(split.Train.Slices, s => Assert.Equal(AgnosticObjects.MapNames.Count, s.Objects.Count));
        Assert.All(split.Test.Slices, s => Assert.Empty(s.Objects)); // the held-out evaluation is unchanged
        var slice = split.Train.Slices[split.Train.Slices.Count / 2];
        int Map(string name) => AgnosticObjects.MapNames.ToList().IndexOf(name);
        var tissue = slice.Objects[Map("tissue-3")];
        // CSF < grey < white matter in a T1 image: the classes follow the intensities they were made from.
        var means = Enumerable.Range(1, 3).Select(c => Enumerable.Range(0, tissue.Length).Where(i => tissue[i] == c).Average(i => slice.Image[i])).ToArray();
        Assert.True(means[0] < means[1] && means[1] < means[2], string.Join(", ", means));
        var brain = slice.Objects[Map("brain")];
        var head = slice.Objects[Map("head")];
        Assert.True(brain.Count(v => v > 0) > 2000);
        Assert.All(Enumerable.Range(0, brain.Length).Where(i => brain[i] > 0), i => Assert.True(head[i] > 0, $"brain pixel {i} outside the head"));
        Assert.All(Enumerable.Range(0, tissue.Length), i => Assert.Equal(brain[i] > 0, tissue[i] > 0));
        // Every other atlas reaches this mid-brain slice with several parcels.
        foreach (var atlas in new[] { "brodmann", "harvard-oxford", "jhu-white-matter", "jhu189", "natbrainlab", "aicha" })
            Assert.True(slice.Objects[Map(atlas)].Where(v => v > 0).Distinct().Count() >= 5, atlas);
        Assert.True(new PromptSampler().EligibleObjects(slice).Count > 50);
    }

    [Fact]
    public void TissueChecksUseTheHeldOutSlicesAndAnotherBrain()
    {
        var split = Human.Value;
        Assert.Equal(AtlasDataset.TissueCategories, split.TestTissue.Categories);
        Assert.All(split.TestTissue.Slices, s => Assert.Equal(0, int.Parse(s.Id[^3..]) % 10));
        Assert.True(split.TestTissue.Slices.Count >= 12);
        var macaque = AtlasDataset.PrepareMacaqueTissue(64);
        Assert.StartsWith("inia19-tissue-axial-", macaque.Slices[0].Id);
        Assert.All(macaque.Slices, s => Assert.True(s.Labels.Max() <= 3));
        Assert.Contains(macaque.Slices, s => s.Labels.Distinct().Count() == 4);
    }

    [Fact]
    public void ObjectMapsRoundTripThroughTheCacheAndNumpyReadsThem()
    {
        using var dir = new TempDir();
        var train = Human.Value.Train;
        var subset = new SliceDataset
        {
            Name = train.Name, Modality = train.Modality, Categories = train.Categories, PixelSpacing = train.PixelSpacing,
            Slices = train.Slices.Take(3).ToList(), ObjectMapNames = train.ObjectMapNames,
        };
        subset.Save(dir.Path);
        var loaded = SliceDataset.Load(dir.Path);
        Assert.Equal(train.ObjectMapNames, loaded.ObjectMapNames);
        for (int m = 0; m < train.ObjectMapNames.Count; m++) Assert.Equal(subset.Slices[2].Objects[m], loaded.Slices[2].Objects[m]);
        var r = Python.Run($"import numpy as np; a = np.load(r'{dir.File("objects.npy")}'); print(a.shape, a.dtype)");
        Assert.Contains($"(3, {train.ObjectMapNames.Count}, 128, 128) int16", r.StdOut);

        // A cache whose objects.npy does not match its meta.json is refused by name.
        var meta = File.ReadAllText(dir.File("meta.json"));
        File.WriteAllText(dir.File("meta.json"), meta.Replace("\"tissue-3\",", ""));
        Assert.Contains("objects.npy holds 12 map(s)", Assert.Throws<InvalidDataException>(() => SliceDataset.Load(dir.Path)).Message);
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
