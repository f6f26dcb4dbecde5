using System.CommandLine;
using System.Diagnostics;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Reporting;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam demo`: the main job on the built-in data. Prepares the Colin27 + AAL dataset when
/// needed, evaluates the bundled SEG-SAM model on the held-out slices with one box and one click
/// per object, checks it on the macaque atlas (another species, binary), and writes report.html.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder for report.html, metrics and overlays", DefaultValueFactory = _ => "out/demo" };
        var model = new Option<string?>("--model") { Description = "Model to demonstrate (default: the bundled models/segsam-atlas.safetensors)" };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("demo", "Segment and label the built-in brain MRI with the bundled model and write a report.") { output, model, json };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            string modelPath = RepoPaths.Resolve(parse.GetValue(model) ?? BundledModel.Path);
            if (!File.Exists(modelPath))
                throw new FileNotFoundException($"model not found: {modelPath} (the bundled model lives in models/; see README to train one)", modelPath);
            BuiltInData.EnsureInstalled();
            using var segsam = SegSamCheckpoint.Load(modelPath);
            int size = segsam.Config.Sam.ImageEncoder.ImgSize;
            string cache = RepoPaths.DatasetCache(size);
            if (!File.Exists(Path.Combine(cache, "test", "meta.json")) || !File.Exists(Path.Combine(cache, "macaque", "meta.json")))
            {
                Console.Error.WriteLine($"preparing the built-in dataset at {size}×{size} in {cache} …");
                DatasetPreparation.PrepareAtlas(size, cache, AtlasDataset.DefaultTemplates);
            }
            var test = SliceDataset.Load(Path.Combine(cache, "test"));
            var macaque = SliceDataset.Load(Path.Combine(cache, "macaque"));

            var metrics = ConsoleProgress.Run("held-out slices", progress =>
                SegSamEvaluator.Evaluate(segsam, test, new EvaluationOptions(), new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
            var cross = ConsoleProgress.Run("macaque atlas", progress =>
                SegSamEvaluator.Evaluate(segsam, macaque, new EvaluationOptions { Points = false, SurfaceDistances = false },
                    new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));

            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            metrics.WriteJson(Path.Combine(outDir, "metrics.json"));
            metrics.WriteObjectsCsv(Path.Combine(outDir, "objects.csv"));
            metrics.WriteCategoriesCsv(Path.Combine(outDir, "categories.csv"));
            cross.WriteJson(Path.Combine(outDir, "macaque-metrics.json"));
            var summary = Summary.Of(metrics, cross, clock.Elapsed.TotalSeconds);
            var overlays = ReportGallery.Build(segsam, test, metrics);
            string report = Path.Combine(outDir, "report.html");
            HtmlReport.Write(report, new ReportContent("SegSam demo: Colin27 brain MRI with the AAL atlas", metrics)
            {
                Facts =
                [
                    new("Data", $"Colin27 T1 MRI + AAL atlas (Debian mricron-data): {test.Slices.Count} held-out axial slices (k ≡ 0 mod 10), {metrics.Objects.Count / 2} objects"),
                    new("Model", $"{Path.GetFileName(modelPath)}: {segsam.Config.Describe()}, {segsam.Config.Sam.ImageEncoder.ImgSize}² input, {segsam.ParameterCount:N0} parameters, {segsam.Config.NumClasses} categories"),
                    new("Prompts", "one exact box and one click (the pixel deepest inside the object) per object"),
                    new("Cross-dataset", $"macaque INIA19 + NeuroMaps, box prompts, binary DSC {summary.MacaqueBoxDice:F3} over {cross.Objects.Count} objects"),
                    new("Wall time", $"{summary.Seconds:F0} s"),
                ],
                Overlays = overlays,
                TrainingLogPath = File.Exists(BundledModel.TrainLog) && modelPath == BundledModel.Path ? BundledModel.TrainLog : null,
                ModelCard = File.Exists(BundledModel.Card) && modelPath == BundledModel.Path ? File.ReadAllText(BundledModel.Card) : null,
                CommandLine = "./segsam demo" + (parse.GetValue(output) is { } o && o != "out/demo" ? $" --out {o}" : ""),
            });
            if (parse.GetValue(json))
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(summary, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            else
                summary.Print(report);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The headline numbers of a demo run.</summary>
    public sealed record Summary(double BoxDice, double PointDice, double? BoxMdsc, double? PointMdsc, double? ClassAccuracy,
                                 double? BoxHd95, double? PointHd95, double? BoxNsd, double? PointNsd, double MacaqueBoxDice, int Objects, double Seconds)
    {
        public static Summary Of(MetricsReport metrics, MetricsReport cross, double seconds)
        {
            GroupSummary? Row(MetricsReport m, string prompt) => m.Overall.FirstOrDefault(g => g.Prompt == prompt);
            var box = Row(metrics, "box");
            var point = Row(metrics, "point");
            return new Summary(box?.Dice.Mean ?? double.NaN, point?.Dice.Mean ?? double.NaN, box?.Mdsc, point?.Mdsc, box?.ClassAccuracy,
                box?.Hd95.Mean, point?.Hd95.Mean, box?.Nsd.Mean, point?.Nsd.Mean, Row(cross, "box")?.Dice.Mean ?? double.NaN, box?.Count ?? 0, seconds);
        }

        public void Print(string report)
        {
            Console.WriteLine();
            Console.WriteLine($"SegSam demo — {Objects} held-out objects of the AAL atlas on Colin27 MRI ({Seconds:F0} s)");
            Console.WriteLine($"  {"",-26}{"box",10}{"point",10}");
            Console.WriteLine($"  {"DSC (binary)",-26}{BoxDice,10:F4}{PointDice,10:F4}");
            Console.WriteLine($"  {"mDSC (class must match)",-26}{Fmt(BoxMdsc),10}{Fmt(PointMdsc),10}");
            Console.WriteLine($"  {"class accuracy",-26}{Fmt(ClassAccuracy),10}");
            Console.WriteLine($"  {"HD95 mm",-26}{Fmt(BoxHd95, "F2"),10}{Fmt(PointHd95, "F2"),10}");
            Console.WriteLine($"  {"NSD (2 mm)",-26}{Fmt(BoxNsd),10}{Fmt(PointNsd),10}");
            Console.WriteLine($"  {"macaque atlas DSC",-26}{MacaqueBoxDice,10:F4}");
            Console.WriteLine($"report: {report}");
        }

        static string Fmt(double? v, string format = "F4") => v is { } x ? x.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "-";
    }
}
