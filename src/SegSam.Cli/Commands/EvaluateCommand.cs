using System.CommandLine;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;

namespace SegSam.Cli.Commands;

/// <summary>`segsam evaluate`: scores a SEG-SAM model on held-out slices (DSC, IoU, mDSC, class accuracy, HD95, NSD).</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A SEG-SAM model (.safetensors from `segsam train`)", Required = true };
        var data = new Option<string?>("--data") { Description = "Prepared slices: a folder with test/ (from `segsam prepare`), or a dataset folder itself" };
        var image = new Option<string?>("--image") { Description = "Instead of --data: an image volume (NIfTI, DICOM, …) to evaluate on, with --labels" };
        var labels = new Option<string?>("--labels") { Description = "The label volume on the same grid as --image" };
        var names = new Option<string?>("--names") { Description = "Names of the label values (\"value name\" per line); categories unknown to the model are scored binary only" };
        var prompts = new Option<string>("--prompts") { Description = "box, point or box,point", DefaultValueFactory = _ => "box,point" };
        var output = new Option<string?>("--out") { Description = "Folder for metrics.json, objects.csv, categories.csv" };
        var noSurface = new Option<bool>("--no-surface") { Description = "Skip HD95 and NSD" };
        var tolerance = new Option<double>("--nsd-tolerance") { Description = "NSD tolerance in mm", DefaultValueFactory = _ => 2.0 };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON" };
        var command = new Command("evaluate", "Evaluate a model with one box and/or one point per held-out object, as the SEG-SAM paper does.")
        {
            model, data, image, labels, names, prompts, output, noSurface, tolerance, json,
        };
        command.SetAction(parse =>
        {
            var kinds = parse.GetValue(prompts)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (kinds.Length == 0 || kinds.Any(k => k is not ("box" or "point")))
                throw new UsageException($"--prompts expects box, point or box,point, got '{parse.GetValue(prompts)}'");
            if (parse.GetValue(tolerance) is var t && !(t > 0)) throw new UsageException("--nsd-tolerance must be positive");
            using var segsam = SegSamCheckpoint.Load(parse.GetValue(model)!);
            var test = (parse.GetValue(data), parse.GetValue(image), parse.GetValue(labels)) switch
            {
                ({ } folder, null, null) => LoadTestSet(folder),
                (null, { } img, { } lbl) => PairSet(img, lbl, parse.GetValue(names), segsam.Config.Sam.ImageEncoder.ImgSize),
                _ => throw new UsageException("give either --data DIR or --image X --labels Y"),
            };
            var options = new EvaluationOptions
            {
                Boxes = kinds.Contains("box"), Points = kinds.Contains("point"),
                SurfaceDistances = !parse.GetValue(noSurface), NsdToleranceMm = parse.GetValue(tolerance),
            };
            var report = ConsoleProgress.Run($"evaluating {test.Name}", progress =>
                SegSamEvaluator.Evaluate(segsam, test, options, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
            if (parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                report.WriteJson(Path.Combine(dir, "metrics.json"));
                report.WriteObjectsCsv(Path.Combine(dir, "objects.csv"));
                report.WriteCategoriesCsv(Path.Combine(dir, "categories.csv"));
                report.WriteModalitiesCsv(Path.Combine(dir, "modalities.csv"));
            }
            Console.WriteLine(parse.GetValue(json) ? report.ToJson() : report.SummaryTable());
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The held-out slices of an image/label pair at the model size: axial slices k ≡ 0 (mod 10),
    /// the rule of the built-in split (see GenericPairDataset).
    /// </summary>
    static SliceDataset PairSet(string image, string labels, string? names, int size) =>
        Data.Datasets.GenericPairDataset.Prepare(image, labels, new Data.Datasets.LayoutOptions { Size = size, Names = names }).Test;

    /// <summary>The held-out set: DIR/test when it exists, else DIR itself.</summary>
    static SliceDataset LoadTestSet(string dir)
    {
        string test = Path.Combine(dir, "test");
        return SliceDataset.Load(Directory.Exists(test) ? test : dir);
    }
}
