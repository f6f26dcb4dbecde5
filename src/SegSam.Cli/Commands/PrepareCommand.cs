using System.CommandLine;
using System.Diagnostics;
using SegSam.Data;
using SegSam.Inference;

namespace SegSam.Cli.Commands;

/// <summary>`segsam prepare`: converts a dataset into the prepared-slice cache that train and evaluate read.</summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset to prepare: atlas (the built-in Colin27 + AAL MRI, and the macaque cross-dataset set)", Required = true };
        var size = new Option<int>("--size") { Description = "Slice size (the model's input size)", DefaultValueFactory = _ => 128 };
        var output = new Option<string?>("--out") { Description = "Output folder (default: data/cache/atlas-SIZE in the repository)" };
        var templates = new Option<string>("--templates") { Description = "Where mricron-data's templates are", DefaultValueFactory = _ => AtlasDataset.DefaultTemplates };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("prepare", "Prepare a dataset as 2D slices at the model size (train / held-out test / cross-dataset sets).")
        {
            dataset, size, output, templates, json,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(dataset) != "atlas")
                throw new UsageException($"--dataset '{parse.GetValue(dataset)}' is not supported; supported: atlas");
            int s = parse.GetValue(size);
            if (s is < 32 or > 1024) throw new UsageException($"--size must lie in 32..1024, got {s}");
            string dir = parse.GetValue(output) ?? RepoPaths.DatasetCache(s);
            var summary = PrepareAtlas(s, dir, parse.GetValue(templates)!);
            Print(summary, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    public sealed record Summary(string Folder, double Seconds, IReadOnlyList<SetSummary> Sets);
    public sealed record SetSummary(string Name, int Slices, int Objects, int Categories, string Folder);

    /// <summary>Prepares the built-in dataset into <paramref name="dir"/> (train, test, macaque).</summary>
    public static Summary PrepareAtlas(int size, string dir, string templates)
    {
        EnsureTemplates(templates);
        var clock = Stopwatch.StartNew();
        var split = AtlasDataset.PrepareHuman(size, templates);
        var macaque = AtlasDataset.PrepareMacaque(size, templates);
        var sampler = new PromptSampler();
        var sets = new List<SetSummary>();
        foreach (var (name, data) in new[] { ("train", split.Train), ("test", split.Test), ("macaque", macaque) })
        {
            string folder = Path.Combine(dir, name);
            data.Save(folder);
            sets.Add(new SetSummary(name, data.Slices.Count, data.Slices.Sum(sl => sampler.Eligible(sl).Count), data.Categories.Length, folder));
        }
        return new Summary(dir, clock.Elapsed.TotalSeconds, sets);
    }

    static void EnsureTemplates(string templates)
    {
        foreach (var file in new[] { "ch2.nii.gz", "aal.nii.gz", "aal.nii.txt", "inia19-t1-brain.nii.gz", "inia19-NeuroMaps.nii.gz" })
            if (!File.Exists(Path.Combine(templates, file)))
                throw new FileNotFoundException(
                    $"{Path.Combine(templates, file)} not found: the built-in dataset comes from Debian's mricron-data package (sudo apt-get install mricron-data)",
                    Path.Combine(templates, file));
    }

    static void Print(Summary summary, bool json)
    {
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(summary, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        Console.WriteLine($"prepared {summary.Folder} in {summary.Seconds:F1} s");
        foreach (var set in summary.Sets)
            Console.WriteLine($"  {set.Name,-8} {set.Slices,4} slices, {set.Objects,5} objects ≥ 0.153 % of a slice, {set.Categories} categories");
    }
}
