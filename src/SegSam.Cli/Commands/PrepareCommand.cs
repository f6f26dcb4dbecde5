using System.CommandLine;
using System.Diagnostics;
using SegSam.Data;
using SegSam.Data.Datasets;
using SegSam.Inference;

namespace SegSam.Cli.Commands;

/// <summary>`segsam prepare`: converts a dataset into the prepared-slice cache that train and evaluate read.</summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "Dataset to prepare: atlas (the built-in Colin27 + AAL MRI, and the macaque cross-dataset set), " +
                string.Join(", ", DatasetLayouts.Kinds.Select(k => $"{k.Key} ({k.Value})")),
            Required = true,
        };
        var input = new Option<string?>("--input") { Description = "The dataset's folder (all layouts but atlas and pair)" };
        var image = new Option<string?>("--image") { Description = "pair: the image (any format `segsam info` reads)" };
        var labels = new Option<string?>("--labels") { Description = "pair: the label map, on the image's grid" };
        var names = new Option<string?>("--names") { Description = "pair, medsam: category names, one \"value name\" or one name (values 1..N) per line" };
        var size = new Option<int>("--size") { Description = "Slice size (the model's input size)", DefaultValueFactory = _ => 128 };
        var output = new Option<string?>("--out") { Description = "Output folder (default: data/cache/DATASET-SIZE in the repository)" };
        var modality = new Option<string?>("--modality") { Description = "CT or MR: overrides the modality the dataset declares (and the intensity normalisation of raw volumes)" };
        var window = new Option<string?>("--window")
        {
            Description = $"CT window: a name ({string.Join(", ", Intensity.CtWindows.Keys)}) or LEVEL,WIDTH in HU (default abdomen; synapse: transunet)",
        };
        var axes = new Option<string>("--axes") { Description = "Slicing axes of 3D volumes: axial, all (as SAM-Med2D), or a list such as axial,coronal", DefaultValueFactory = _ => "axial" };
        var templates = new Option<string>("--templates") { Description = "Where mricron-data's templates are", DefaultValueFactory = _ => AtlasDataset.DefaultTemplates };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("prepare", "Prepare a dataset as 2D slices at the model size (train / held-out test / cross-dataset sets).")
        {
            dataset, input, image, labels, names, size, output, modality, window, axes, templates, json,
        };
        command.SetAction(parse =>
        {
            string kind = parse.GetValue(dataset)!;
            if (kind != "atlas" && !DatasetLayouts.Kinds.ContainsKey(kind))
                throw new UsageException($"--dataset '{kind}' is not supported; supported: atlas, {string.Join(", ", DatasetLayouts.Kinds.Keys)}");
            int s = parse.GetValue(size);
            if (s is < 32 or > 1024) throw new UsageException($"--size must lie in 32..1024, got {s}");
            string dir = parse.GetValue(output) ?? (kind == "atlas" ? RepoPaths.DatasetCache(s) : Path.Combine(RepoPaths.Root, "data", "cache", $"{kind}-{s}"));
            Summary summary;
            if (kind == "atlas") summary = PrepareAtlas(s, dir, parse.GetValue(templates)!);
            else
            {
                var options = new LayoutOptions
                {
                    Size = s,
                    Modality = ParseModality(parse.GetValue(modality)),
                    Window = parse.GetValue(window) is { } w ? ParseWindow(w) : null,
                    Axes = ParseAxes(parse.GetValue(axes)!),
                    Names = parse.GetValue(names),
                };
                CheckInputs(kind, parse.GetValue(input), parse.GetValue(image), parse.GetValue(labels));
                summary = PrepareLayout(kind, parse.GetValue(input), parse.GetValue(image), parse.GetValue(labels), options, dir);
            }
            Print(summary, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    public sealed record Summary(string Folder, double Seconds, IReadOnlyList<SetSummary> Sets);
    public sealed record SetSummary(string Name, int Slices, int Objects, int Categories, string Folder, string Modality);

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
            sets.Add(new SetSummary(name, data.Slices.Count, data.Slices.Sum(sl => sampler.Eligible(sl).Count), data.Categories.Length, folder, data.Modality));
        }
        return new Summary(dir, clock.Elapsed.TotalSeconds, sets);
    }

    /// <summary>Prepares a dataset layout into <paramref name="dir"/>/train and /test, with a progress bar.</summary>
    public static Summary PrepareLayout(string kind, string? input, string? image, string? labels, LayoutOptions options, string dir)
    {
        var clock = Stopwatch.StartNew();
        var split = ConsoleProgress.Run($"prepare {kind}", report => DatasetLayouts.Prepare(kind, input, options with { Progress = report }, image, labels));
        var sampler = new PromptSampler();
        var sets = new List<SetSummary>();
        foreach (var (name, data) in new[] { ("train", split.Train), ("test", split.Test) })
        {
            // An empty set (e.g. one case: nothing to hold out) is reported, not written.
            string folder = data.Slices.Count == 0 ? "" : Path.Combine(dir, name);
            if (folder.Length > 0) data.Save(folder);
            sets.Add(new SetSummary(name, data.Slices.Count, data.Slices.Sum(sl => sampler.Eligible(sl).Count), data.Categories.Length, folder, data.Modality));
        }
        return new Summary(dir, clock.Elapsed.TotalSeconds, sets);
    }

    /// <summary>Each layout takes either a folder or an image/label pair, not both.</summary>
    static void CheckInputs(string kind, string? input, string? image, string? labels)
    {
        if (kind == "pair")
        {
            if (image is null || labels is null) throw new UsageException("--dataset pair needs --image and --labels");
            if (input is not null) throw new UsageException("--dataset pair takes --image and --labels, not --input");
        }
        else
        {
            if (input is null) throw new UsageException($"--dataset {kind} needs --input: {DatasetLayouts.Kinds[kind]}");
            if (image is not null || labels is not null) throw new UsageException("--image and --labels belong to --dataset pair");
        }
    }

    static string? ParseModality(string? text) => text?.ToUpperInvariant() switch
    {
        null => null,
        "CT" => "CT",
        "MR" or "MRI" => "MR",
        _ => throw new UsageException($"--modality must be CT or MR, got '{text}'"),
    };

    static (double Level, double Width) ParseWindow(string text)
    {
        if (Intensity.CtWindows.TryGetValue(text, out var named)) return named;
        if (!text.Contains(','))
            throw new UsageException($"--window '{text}' is neither a window name ({string.Join(", ", Intensity.CtWindows.Keys)}) nor LEVEL,WIDTH");
        var v = ValueParsing.Numbers(text, 2, "--window", "a window name or LEVEL,WIDTH in HU");
        if (v[1] <= 0) throw new UsageException($"--window width must be positive, got '{text}'");
        return (v[0], v[1]);
    }


    static int[] ParseAxes(string text)
    {
        if (text == "all") return [0, 1, 2];
        var axes = text.Split(',', StringSplitOptions.TrimEntries).Select(a => SliceAxis.TryParse(a, out int axis) ? axis : -1).ToArray();
        if (axes.Any(a => a < 0) || axes.Distinct().Count() != axes.Length)
            throw new UsageException($"--axes expects axial, all, or distinct names among {string.Join(", ", SliceAxis.Names)}, got '{text}'");
        return axes;
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
            Console.WriteLine($"  {set.Name,-8} {set.Slices,4} slices, {set.Objects,5} objects ≥ 0.153 % of a slice, {set.Categories} categories, {set.Modality}"
                + (set.Folder.Length == 0 ? " (empty, not written)" : ""));
    }
}
