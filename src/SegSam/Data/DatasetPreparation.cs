using System.Diagnostics;
using SegSam.Data.Datasets;

namespace SegSam.Data;

/// <summary>
/// Turns a dataset into the prepared-slice folders that training and evaluation read
/// (<see cref="SliceDataset.Save"/>): the built-in atlas data, or any layout of <see cref="DatasetLayouts"/>.
/// Objects are counted as the evaluation prompts them (<see cref="PromptSampler.Eligible"/>).
/// </summary>
public static class DatasetPreparation
{
    /// <summary>The files of Debian's mricron-data that the built-in dataset is made from.</summary>
    public static readonly IReadOnlyList<string> AtlasFiles = ["ch2.nii.gz", "ch2bet.nii.gz", "aal.nii.gz", "aal.nii.txt", "inia19-t1-brain.nii.gz", "inia19-NeuroMaps.nii.gz", .. AgnosticObjects.AtlasFiles];

    /// <summary>Prepares the built-in dataset into <paramref name="dir"/> (train, test, macaque, and the tissue-class checks test-tissue and macaque-tissue).</summary>
    public static PreparationSummary PrepareAtlas(int size, string dir, string templates)
    {
        foreach (var file in AtlasFiles)
            if (!File.Exists(Path.Combine(templates, file)))
                throw new FileNotFoundException(
                    $"{Path.Combine(templates, file)} not found: the built-in dataset comes from Debian's mricron-data package (sudo apt-get install mricron-data)",
                    Path.Combine(templates, file));
        var clock = Stopwatch.StartNew();
        var split = AtlasDataset.PrepareHuman(size, templates);
        var macaque = AtlasDataset.PrepareMacaque(size, templates);
        var macaqueTissue = AtlasDataset.PrepareMacaqueTissue(size, templates);
        return Save(dir, clock, [("train", split.Train), ("test", split.Test), ("macaque", macaque), ("test-tissue", split.TestTissue), ("macaque-tissue", macaqueTissue)]);
    }

    /// <summary>Prepares a dataset layout into <paramref name="dir"/>/train and /test (see <see cref="DatasetLayouts.Prepare"/>).</summary>
    public static PreparationSummary PrepareLayout(string kind, string? input, string? image, string? labels, LayoutOptions options, string dir)
    {
        var clock = Stopwatch.StartNew();
        var split = DatasetLayouts.Prepare(kind, input, options, image, labels);
        return Save(dir, clock, [("train", split.Train), ("test", split.Test)]);
    }

    static PreparationSummary Save(string dir, Stopwatch clock, IEnumerable<(string Name, SliceDataset Data)> sets)
    {
        var sampler = new PromptSampler();
        var written = new List<PreparedSet>();
        foreach (var (name, data) in sets)
        {
            // An empty set (e.g. one case: nothing to hold out) is reported, not written.
            string folder = data.Slices.Count == 0 ? "" : Path.Combine(dir, name);
            if (folder.Length > 0) data.Save(folder);
            written.Add(new PreparedSet(name, data.Slices.Count, data.Slices.Sum(s => sampler.Eligible(s).Count), data.Categories.Length, folder, data.Modality));
        }
        return new PreparationSummary(dir, clock.Elapsed.TotalSeconds, written);
    }
}
