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
/// The slices are at 128² for every model; one of another input size gets them resized.
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
            // The built-in split at 128², whatever the model's input size: the README's and the model
            // cards' numbers are on these slices and labels, and the PG-SAM model takes 128².
            const int size = 128;
            string cache = RepoPaths.DatasetCache(size);
            string[] sets = ["test", "macaque", "test-tissue", "macaque-tissue"];
            if (sets.Any(set => !File.Exists(Path.Combine(cache, set, "meta.json"))))
            {
                Console.Error.WriteLine($"preparing the built-in dataset at {size}×{size} in {cache} …");
                DatasetPreparation.PrepareAtlas(size, cache, AtlasDataset.DefaultTemplates);
            }
            var test = SliceDataset.Load(Path.Combine(cache, "test"));
            var macaque = SliceDataset.Load(Path.Combine(cache, "macaque"));
            var tissueChecks = new[] { ("Colin27 held-out slices", "test-tissue"), ("macaque brain", "macaque-tissue") }.Select(check =>
            {
                var set = SliceDataset.Load(Path.Combine(cache, check.Item2));
                var report = ConsoleProgress.Run($"tissue classes, {check.Item1}", progress =>
                    SegSamEvaluator.Evaluate(segsam, set, new EvaluationOptions { Points = false, SurfaceDistances = false },
                        new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
                return new OtherObjectsCheck(check.Item1, report.Overall.Single(g => g.Prompt == "box").Dice.Mean ?? double.NaN, BoxFillBaseline.MeanDice(set), report.Objects.Count);
            }).ToList();

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
            var overlays = ReportGallery.Build(segsam, test, metrics);
            var (promptFree, promptFreeSummary) = PromptFree(test);
            var summary = Summary.Of(metrics, cross, clock.Elapsed.TotalSeconds) with
            {
                PromptFree = promptFreeSummary, BoxFillDice = BoxFillBaseline.MeanDice(test), MacaqueBoxFillDice = BoxFillBaseline.MeanDice(macaque),
                OtherObjects = tissueChecks,
            };
            string report = Path.Combine(outDir, "report.html");
            HtmlReport.Write(report, new ReportContent("SegSam demo: Colin27 brain MRI with the AAL atlas", metrics)
            {
                Facts =
                [
                    new("Data", $"Colin27 T1 MRI + AAL atlas (Debian mricron-data): {test.Slices.Count} held-out axial slices (k ≡ 0 mod 10), {metrics.Objects.Count / 2} objects"),
                    new("Model", $"{Path.GetFileName(modelPath)}: {segsam.Config.Describe()}, {segsam.Config.Sam.ImageEncoder.ImgSize}² input, {segsam.ParameterCount:N0} parameters, {segsam.Config.NumClasses} categories"),
                    new("Prompts", "one exact box and one click (the pixel deepest inside the object) per object"),
                    new("Box fill", $"the filled prompt box (a trivial baseline) scores DSC {summary.BoxFillDice:F3} on the same held-out objects"),
                    new("Cross-dataset", $"macaque INIA19 + NeuroMaps, box prompts, binary DSC {summary.MacaqueBoxDice:F3} over {cross.Objects.Count} objects (box fill {summary.MacaqueBoxFillDice:F3})"),
                    .. summary.OtherObjects.Select(c => new KeyValuePair<string, string>($"Tissue classes, {c.Name}",
                        $"{c.Objects} objects (CSF, grey, white matter by intensity), box prompts, binary DSC {c.BoxDice:F3} (box fill {c.BoxFillDice:F3})")),
                    new("Wall time", $"{summary.Seconds:F0} s"),
                ],
                Overlays = overlays,
                TrainingLogPath = File.Exists(BundledModel.TrainLog) && modelPath == BundledModel.Path ? BundledModel.TrainLog : null,
                ModelCard = File.Exists(BundledModel.Card) && modelPath == BundledModel.Path ? File.ReadAllText(BundledModel.Card) : null,
                PromptFree = promptFree,
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

    /// <summary>
    /// The bundled PG-SAM model prompt-free: the held-out slices (2D), the whole Colin27 volume
    /// (3D) and the macaque volume, with the report's figures; nothing when the model is absent.
    /// </summary>
    static (PromptFreeSection? Section, PromptFreeSummary? Summary) PromptFree(SliceDataset aalTest)
    {
        if (!File.Exists(BundledModel.PgSamPath))
        {
            Console.Error.WriteLine($"no prompt-free part: {BundledModel.PgSamPath} is missing");
            return (null, null);
        }
        using var pgsam = PgSamModelCheckpoint.Load(BundledModel.PgSamPath);
        var heldOut = ConsoleProgress.Run("prompt-free, held-out slices", progress =>
            PgSamAtlasEvaluation.HeldOut(pgsam, aalTest, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
        var colin = ConsoleProgress.Run("prompt-free, Colin27 volume", progress =>
            PgSamAtlasEvaluation.Colin27(pgsam, progress: new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, "slices"))));
        var macaque = ConsoleProgress.Run("prompt-free, macaque volume", progress =>
            PgSamAtlasEvaluation.Macaque(pgsam, progress: new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, "slices"))));
        var (lobes, _) = ClassGrouping.ForModel(aalTest, pgsam.Config.Categories);
        var section = new PromptFreeSection($"{Path.GetFileName(BundledModel.PgSamPath)} (PG-SAM, {pgsam.parameters().Sum(p => p.numel()):N0} parameters)", pgsam.Config.Categories, heldOut)
        {
            WholeVolume = colin,
            CrossDataset = macaque,
            Gallery = PromptFreeFigures.Gallery(pgsam, lobes, heldOut),
            VolumeViews = [.. PromptFreeFigures.OrthogonalViews(colin, withTruth: true), .. PromptFreeFigures.OrthogonalViews(macaque, withTruth: false)],
            ModelCard = File.Exists(BundledModel.PgSamCard) ? File.ReadAllText(BundledModel.PgSamCard) : null,
        };
        return (section, PromptFreeSummary.Of(pgsam.Config.Categories, heldOut, colin, macaque));
    }

    /// <summary>One structure's prompt-free scores: 2D on the held-out slices, 3D on the Colin27 volume.</summary>
    public sealed record StructureRow(string Structure, double? HeldOutDice, double? HeldOutHd95, double VolumeDice, double VolumeHd95);

    /// <summary>The prompt-free numbers of a demo run, as the PG-SAM model card states them.</summary>
    public sealed record PromptFreeSummary(IReadOnlyList<StructureRow> Structures, double? HeldOutMeanDice, double? HeldOutMeanHd95,
                                           double VolumeMeanDice, double VolumeMeanHd95, double ColinForegroundDice, double MacaqueForegroundDice)
    {
        public static PromptFreeSummary Of(IReadOnlyList<string> structures, MetricsReport heldOut, WholeVolumeResult colin, WholeVolumeResult macaque)
        {
            var comparison = new MethodComparison([.. structures], [("pgsam", heldOut)]);
            var rows = structures.Select(s => (Name: s, Volume: colin.Scores.Single(v => v.Structure == s)))
                .Select(r => new StructureRow(r.Name, MethodComparison.Dice(heldOut, r.Name), MethodComparison.Hd95(heldOut, r.Name), r.Volume.Dice, r.Volume.Hd95Mm))
                .ToList();
            return new PromptFreeSummary(rows, comparison.MeanDice(heldOut), comparison.MeanHd95(heldOut), colin.MeanDice, colin.MeanHd95Mm,
                colin.Foreground.Dice, macaque.Foreground.Dice);
        }

        public void Print()
        {
            Console.WriteLine();
            Console.WriteLine($"Prompt-free (bundled PG-SAM, no prompts) — {Structures.Count} structures of the AAL atlas grouped into lobes");
            Console.WriteLine($"  {"",-14}{"held-out slices (2D)",22}{"Colin27 volume (3D)",22}");
            Console.WriteLine($"  {"structure",-14}{"DSC",11}{"HD95 mm",11}{"DSC",11}{"HD95 mm",11}");
            foreach (var r in Structures)
                Console.WriteLine($"  {r.Structure,-14}{Fmt(r.HeldOutDice),11}{Fmt(r.HeldOutHd95, "F2"),11}{Fmt(r.VolumeDice),11}{Fmt(r.VolumeHd95, "F2"),11}");
            Console.WriteLine($"  {"mean",-14}{Fmt(HeldOutMeanDice),11}{Fmt(HeldOutMeanHd95, "F2"),11}{Fmt(VolumeMeanDice),11}{Fmt(VolumeMeanHd95, "F2"),11}");
            Console.WriteLine($"  all structures vs all labelled voxels, 3D DSC: Colin27 {Fmt(ColinForegroundDice)}, macaque atlas {Fmt(MacaqueForegroundDice)}");
        }
    }

    /// <summary>The headline numbers of a demo run.</summary>
    public sealed record Summary(double BoxDice, double PointDice, double? BoxMdsc, double? PointMdsc, double? ClassAccuracy,
                                 double? BoxHd95, double? PointHd95, double? BoxNsd, double? PointNsd, double MacaqueBoxDice, int Objects, double Seconds)
    {
        /// <summary>The prompt-free part (null without the bundled PG-SAM model).</summary>
        public PromptFreeSummary? PromptFree { get; init; }

        /// <summary>DSC of the filled prompt boxes on the held-out objects (the trivial baseline).</summary>
        public double BoxFillDice { get; init; } = double.NaN;

        /// <summary>DSC of the filled prompt boxes on the macaque atlas objects.</summary>
        public double MacaqueBoxFillDice { get; init; } = double.NaN;

        /// <summary>Box-prompted objects of another kind than the training categories: the tissue classes.</summary>
        public IReadOnlyList<OtherObjectsCheck> OtherObjects { get; init; } = [];

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
            Console.WriteLine($"  {"box fill DSC (trivial)",-26}{BoxFillDice,10:F4}");
            Console.WriteLine($"  {"macaque atlas DSC",-26}{MacaqueBoxDice,10:F4}   box fill {MacaqueBoxFillDice:F4}");
            if (OtherObjects.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine("Other objects, one box each — tissue classes (CSF, grey, white matter by intensity)");
                Console.WriteLine($"  {"",-26}{"DSC",10}{"box fill",10}");
                foreach (var check in OtherObjects)
                    Console.WriteLine($"  {check.Name,-26}{check.BoxDice,10:F4}{check.BoxFillDice,10:F4}");
            }
            PromptFree?.Print();
            Console.WriteLine($"report: {report}");
        }
    }

    /// <summary>One check on objects of another kind: box-prompted DSC beside the filled boxes' DSC.</summary>
    public sealed record OtherObjectsCheck(string Name, double BoxDice, double BoxFillDice, int Objects);

    static string Fmt(double? v, string format = "F4") => v is { } x ? x.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "-";
}
