using System.CommandLine;
using SegSam.Data;
using SegSam.Data.Datasets;

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
            string dir = parse.GetValue(output) ?? (kind == "atlas" ? RepoPaths.DatasetCache(s) : Path.Combine(RepoPaths.CacheRoot, $"{kind}-{s}"));
            PreparationSummary summary;
            if (kind == "atlas") summary = DatasetPreparation.PrepareAtlas(s, dir, parse.GetValue(templates)!);
            else
            {
                var options = new LayoutOptions
                {
                    Size = s,
                    Modality = ParseModality(parse.GetValue(modality)),
                    Window = parse.GetValue(window) is { } w ? ValueParsing.Window(w) : null,
                    Axes = ParseAxes(parse.GetValue(axes)!),
                    Names = parse.GetValue(names),
                };
                CheckInputs(kind, parse.GetValue(input), parse.GetValue(image), parse.GetValue(labels));
                summary = ConsoleProgress.Run($"prepare {kind}", report =>
                    DatasetPreparation.PrepareLayout(kind, parse.GetValue(input), parse.GetValue(image), parse.GetValue(labels), options with { Progress = report }, dir));
            }
            Print(summary, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
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

    static int[] ParseAxes(string text)
    {
        if (text == "all") return [0, 1, 2];
        var axes = text.Split(',', StringSplitOptions.TrimEntries).Select(a => SliceAxis.TryParse(a, out int axis) ? axis : -1).ToArray();
        if (axes.Any(a => a < 0) || axes.Distinct().Count() != axes.Length)
            throw new UsageException($"--axes expects axial, all, or distinct names among {string.Join(", ", SliceAxis.Names)}, got '{text}'");
        return axes;
    }

    static void Print(PreparationSummary summary, bool json)
    {
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(summary, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        Console.WriteLine($"prepared {summary.Folder} in {summary.Seconds:F1} s");
        foreach (var set in summary.Sets)
            Console.WriteLine($"  {set.Name,-14} {set.Slices,4} slices, {set.Objects,5} objects ≥ 0.153 % of a slice, {set.Categories} categories, {set.Modality}"
                + (set.Folder.Length == 0 ? " (empty, not written)" : ""));
    }
}
