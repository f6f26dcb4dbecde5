using SegSam.Imaging;
using Xunit.Abstractions;

namespace SegSam.Tests.Architecture;

/// <summary>The library's folders form layers: each uses only the layers below it (docs/architecture.md).</summary>
public sealed class LayeringTests(ITestOutputHelper output)
{
    /// <summary>The layers of docs/architecture.md, lowest first; a folder may use only folders of a lower layer.</summary>
    public static readonly IReadOnlyDictionary<string, int> Layers = new Dictionary<string, int>
    {
        [FolderDependencies.Root] = 0, ["IO"] = 0,
        ["Imaging"] = 1,
        ["Data"] = 2,
        ["Modeling"] = 3,
        ["Checkpoints"] = 4,
        ["Text"] = 5,
        ["Inference"] = 6,
        ["Training"] = 7, ["Evaluation"] = 7, ["Batch"] = 7,
        ["Reporting"] = 8,
    };

    [Fact]
    public void Each_folder_uses_only_lower_layers()
    {
        var edges = FolderDependencies.Of(typeof(Volume).Assembly);
        var folders = edges.Keys.Concat(edges.Values.SelectMany(t => t.Keys)).Distinct();
        Assert.Empty(folders.Where(f => !Layers.ContainsKey(f)).Select(f => $"folder {f} has no layer: add it to docs/architecture.md and this table"));
        var upward = edges.SelectMany(e => e.Value.Where(t => Layers[t.Key] >= Layers[e.Key]).Select(t => $"{e.Key} → {t.Key}: {t.Value}")).ToList();
        Assert.True(upward.Count == 0, "uses of a folder in the same or a higher layer:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void No_two_library_folders_use_each_other()
    {
        var edges = FolderDependencies.Of(typeof(Volume).Assembly);
        foreach (var (from, targets) in edges.OrderBy(e => e.Key))
            output.WriteLine($"{from} → {string.Join(", ", targets.Keys.Order())}");
        var cycles = FolderDependencies.Cycles(edges);
        Assert.True(cycles.Count == 0, "folders in a cycle:\n" + string.Join("\n", cycles.Select(c =>
            string.Join(", ", c) + ":\n    " + string.Join("\n    ", c.SelectMany(a => c.Where(b => edges.GetValueOrDefault(a)?.ContainsKey(b) == true)
                .Select(b => $"{a} → {b}: {edges[a][b]}"))))));
    }
}
