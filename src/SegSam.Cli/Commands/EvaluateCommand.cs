using System.CommandLine;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Modeling;
using SegSam.IO;
using SegSam.Text;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam evaluate`: scores a SEG-SAM model on held-out slices (DSC, IoU, mDSC, class accuracy,
/// HD95, NSD), or a PG-SAM model prompt-free (per-category Dice and HD95), optionally side by
/// side with a SEG-SAM model prompted on the same slices; or, with --protocol synapse, predicted
/// volumes (given, or predicted here by a PG-SAM model) by the Synapse protocol.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "A SEG-SAM or PG-SAM model (.safetensors from `segsam train`); with --protocol synapse a PG-SAM model that predicts --images" };
        var protocol = new Option<string?>("--protocol") { Description = "synapse: score predicted volumes (--predictions DIR, codes 0..8; or predicted here by a PG-SAM --model from --images DIR) against ground truth (--labels DIR) by the Synapse protocol: per-organ 3D Dice and HD95 (voxels and mm), mean over cases then organs" };
        var predictions = new Option<string?>("--predictions") { Description = "--protocol synapse: folder of predicted label volumes, paired with --labels by the case number in the file names" };
        var images = new Option<string?>("--images") { Description = "--protocol synapse with a PG-SAM --model: folder of the test images (img0001.nii.gz …, paired with --labels by case number); each is predicted axial slice by slice into OUT/predictions/caseNNNN.nii.gz, then scored" };
        var intensity = new Option<string?>("--intensity") { Description = "--protocol synapse with --model: ct (default: HU clipped to [−125, 275] and scaled, the Synapse rule) or mr (0.5–99.5 percentiles)" };
        var rawLabels = new Option<bool>("--raw-labels") { Description = "--protocol synapse: the ground truth holds BTCV's 13 raw organ codes; remap them to the protocol's 8 organs" };
        var compare = new Option<string?>("--compare-segsam") { Description = "PG-SAM only: also evaluate this SEG-SAM model prompted on the same slices (one exact box per object of the original labels, each mask painted with its object's class, e.g. its AAL region's lobe) and write comparison.md/.csv" };
        var imageDescriptions = new Option<string?>("--image-descriptions") { Description = "PG-SAM only: per-slice descriptions (needed when the model was trained with them); with --protocol synapse --model keyed caseNNNN-axial-KKK" };
        var data = new Option<string?>("--data") { Description = "Prepared slices: a folder with test/ (from `segsam prepare`), or a dataset folder itself" };
        var image = new Option<string?>("--image") { Description = "Instead of --data: an image volume (NIfTI, DICOM, …) to evaluate on, with --labels" };
        var labels = new Option<string?>("--labels") { Description = "The label volume on the same grid as --image (with --protocol synapse: the folder of ground-truth volumes)" };
        var names = new Option<string?>("--names") { Description = "Names of the label values (\"value name\" per line); categories unknown to the model are scored binary only" };
        var prompts = new Option<string>("--prompts") { Description = "box, point or box,point", DefaultValueFactory = _ => "box,point" };
        var output = new Option<string?>("--out") { Description = "Folder for metrics.json, objects.csv, categories.csv" };
        var noSurface = new Option<bool>("--no-surface") { Description = "Skip HD95 and NSD" };
        var tolerance = new Option<double>("--nsd-tolerance") { Description = "NSD tolerance in mm", DefaultValueFactory = _ => 2.0 };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON" };
        var oracle = new Option<bool>("--oracle") { Description = "SEG-SAM only: also score the best of each prompt's masks (a lone click's three candidates, a box's four with box candidates), as SAM's paper reports an oracle beside the mask of highest predicted IoU" };
        var precision = PrecisionOption.Create();
        var mirror = new MirrorOption();
        var command = new Command("evaluate", "Evaluate a SEG-SAM model with one box and/or one point per held-out object, as the SEG-SAM paper does, or a PG-SAM model prompt-free.")
        {
            model, data, image, labels, names, prompts, output, noSurface, tolerance, compare, imageDescriptions, protocol, predictions, images, intensity, rawLabels, precision, mirror.On, mirror.Off, oracle, json,
        };
        command.SetAction(parse =>
        {
            var encoderPrecision = PrecisionOption.Value(parse.GetValue(precision));
            if (parse.GetValue(protocol) is { } name)
            {
                if (mirror.Value(parse) == true) throw new UsageException("--mirror applies to a SEG-SAM model's prompts, not to --protocol synapse");
                if (parse.GetValue(oracle)) throw new UsageException("--oracle applies to a SEG-SAM model's prompts, not to --protocol synapse");
                if (name != "synapse") throw new UsageException($"--protocol: the only protocol is synapse, got '{name}'");
                string? predicted = parse.GetValue(predictions), modelPath = parse.GetValue(model), imageDir = parse.GetValue(images);
                const string needs = "--protocol synapse needs --labels DIR and either --predictions DIR or --model PGSAM_MODEL --images DIR";
                if (parse.GetValue(labels) is not { } truth || (predicted is null) == (modelPath is null && imageDir is null))
                    throw new UsageException(needs);
                if (predicted is null)
                {
                    if (modelPath is null || imageDir is null) throw new UsageException(needs);
                    if (parse.GetValue(output) is not { } outDir) throw new UsageException("--protocol synapse --model writes the predicted volumes: give --out DIR");
                    if (!PgSamModelCheckpoint.IsPgSamModel(modelPath))
                        throw new UsageException($"{modelPath}: --protocol synapse --model needs a PG-SAM model (prompt-free); score a SEG-SAM model's volumes with --predictions");
                    predicted = PredictSynapse(modelPath, encoderPrecision, imageDir, truth, outDir, parse.GetValue(intensity), parse.GetValue(imageDescriptions));
                }
                else if (parse.GetValue(intensity) is not null || parse.GetValue(imageDescriptions) is not null)
                    throw new UsageException("--intensity and --image-descriptions apply when a --model predicts the volumes");
                return ScoreSynapse(predicted, truth, parse.GetValue(rawLabels), parse.GetValue(output), parse.GetValue(json));
            }
            if (parse.GetValue(images) is not null || parse.GetValue(intensity) is not null || parse.GetValue(predictions) is not null || parse.GetValue(rawLabels))
                throw new UsageException("--images, --intensity, --predictions and --raw-labels apply to --protocol synapse");
            if (parse.GetValue(model) is null) throw new UsageException("give --model (or --protocol synapse with --predictions and --labels)");
            if (PgSamModelCheckpoint.IsPgSamModel(parse.GetValue(model)!))
            {
                if (parse.GetValue(data) is not { } folder || parse.GetValue(image) is not null)
                    throw new UsageException("a PG-SAM model is evaluated on prepared slices: give --data DIR");
                if (mirror.Value(parse) == true) throw new UsageException(MirrorOption.PgSamRefusal);
                if (parse.GetValue(oracle)) throw new UsageException("--oracle applies to a SEG-SAM model's prompts; a PG-SAM model answers without them");
                return EvaluatePgSam(parse.GetValue(model)!, encoderPrecision, SliceDataset.LoadSplit(folder, "test"), parse.GetValue(compare), parse.GetValue(imageDescriptions),
                    !parse.GetValue(noSurface), parse.GetValue(output), parse.GetValue(json));
            }
            if (parse.GetValue(compare) is not null || parse.GetValue(imageDescriptions) is not null)
                throw new UsageException("--compare-segsam and --image-descriptions apply to PG-SAM models only");
            var kinds = parse.GetValue(prompts)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (kinds.Length == 0 || kinds.Any(k => k is not ("box" or "point")))
                throw new UsageException($"--prompts expects box, point or box,point, got '{parse.GetValue(prompts)}'");
            if (parse.GetValue(tolerance) is var t && !(t > 0)) throw new UsageException("--nsd-tolerance must be positive");
            using var segsam = SegSamCheckpoint.Load(parse.GetValue(model)!, encoderPrecision);
            var test = (parse.GetValue(data), parse.GetValue(image), parse.GetValue(labels)) switch
            {
                ({ } folder, null, null) => SliceDataset.LoadSplit(folder, "test"),
                (null, { } img, { } lbl) => PairSet(img, lbl, parse.GetValue(names), segsam.Config.Sam.ImageEncoder.ImgSize),
                _ => throw new UsageException("give either --data DIR or --image X --labels Y"),
            };
            var options = new EvaluationOptions
            {
                Boxes = kinds.Contains("box"), Points = kinds.Contains("point"),
                SurfaceDistances = !parse.GetValue(noSurface), NsdToleranceMm = parse.GetValue(tolerance),
                TestTimeMirroring = mirror.Value(parse),
                Oracle = parse.GetValue(oracle),
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
            if (parse.GetValue(json)) Console.WriteLine(report.ToJson());
            else
            {
                Console.WriteLine(report.SummaryTable());
                bool mirrored = Inference.SegSamPredictor.Mirrors(segsam, options.TestTimeMirroring);
                Console.WriteLine($"test-time mirroring: {(mirrored ? "on" : "off")}{(options.TestTimeMirroring is null ? " (the model's default)" : "")}");
                if (options.Boxes)
                    Console.WriteLine($"box fill (the filled prompt box, a trivial baseline) on the same objects: DSC {BoxFillBaseline.MeanDice(test):F4}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    static int ScoreSynapse(string predictions, string labels, bool raw, string? output, bool json)
    {
        var report = ConsoleProgress.Run("Synapse protocol", progress =>
            SynapseFolderScorer.Score(predictions, labels, raw, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
        if (output is { } dir)
        {
            Directory.CreateDirectory(dir);
            report.WriteJson(Path.Combine(dir, "synapse.json"));
            report.WriteScoresCsv(Path.Combine(dir, "scores.csv"));
            report.WriteOrgansCsv(Path.Combine(dir, "organs.csv"));
            report.WriteCasesCsv(Path.Combine(dir, "cases.csv"));
        }
        Console.WriteLine(json ? report.ToJson() : report.SummaryTable());
        return ExitCodes.Success;
    }

    /// <summary>
    /// The held-out slices of an image/label pair at the model size: axial slices k ≡ 0 (mod 10),
    /// the rule of the built-in split (see GenericPairDataset).
    /// </summary>
    static SliceDataset PairSet(string image, string labels, string? names, int size)
    {
        var test = Data.Datasets.GenericPairDataset.Prepare(image, labels, new Data.Datasets.LayoutOptions { Size = size, Names = names }).Test;
        // Otherwise every metric is the mean of nothing: NaN, and exit 0.
        if (!test.Slices.Any(s => s.Labels.Any(v => v > 0)))
            throw new InvalidDataException($"{labels}: no labelled voxel on the held-out slices (index k ≡ 0 mod 10 along each axis), so there is nothing to evaluate");
        return test;
    }

    /// <summary>
    /// Evaluates a PG-SAM model prompt-free on the held-out slices (regrouped to the model's lobes
    /// when it was trained on them) and, with <paramref name="segsamPath"/>, a SEG-SAM model
    /// prompted on the same slices; writes each report and the comparison table.
    /// </summary>
    static int EvaluatePgSam(string modelPath, EncoderPrecision precision, SliceDataset test, string? segsamPath, string? descriptionsPath, bool surface, string? outDir, bool json)
    {
        using var model = PgSamModelCheckpoint.Load(modelPath, precision);
        var fine = test;
        (test, var groupOfLabel) = ClassGrouping.ForModel(fine, model.Config.Categories);
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        var methods = new List<(string, MetricsReport)>();
        var pgsam = ConsoleProgress.Run($"PG-SAM on {test.Name}", progress =>
            PgSamEvaluator.Evaluate(model, test, descriptions, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
        methods.Add(("pgsam", pgsam));
        if (segsamPath is not null)
        {
            using var segsam = SegSamCheckpoint.Load(segsamPath, precision);
            var prompted = ConsoleProgress.Run($"SEG-SAM prompted on {fine.Name}", progress =>
                PgSamEvaluator.EvaluatePrompted(segsam, fine, test, groupOfLabel, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
            methods.Add(("segsam_prompted", prompted));
        }
        var comparison = new MethodComparison(test.Categories, methods);
        if (outDir is not null)
        {
            foreach (var (name, report) in methods)
            {
                string dir = Path.Combine(outDir, name);
                Directory.CreateDirectory(dir);
                report.WriteJson(Path.Combine(dir, "metrics.json"));
                report.WriteObjectsCsv(Path.Combine(dir, "objects.csv"));
                report.WriteCategoriesCsv(Path.Combine(dir, "categories.csv"));
            }
            AtomicFile.WriteAllText(Path.Combine(outDir, "comparison.md"), comparison.Markdown());
            AtomicFile.WriteAllText(Path.Combine(outDir, "comparison.csv"), comparison.Csv());
        }
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(methods.ToDictionary(m => m.Item1, m => new
            {
                mean_dice = comparison.MeanDice(m.Item2), mean_hd95_mm = comparison.MeanHd95(m.Item2),
                per_category = m.Item2.PerCategory.ToDictionary(g => g.Group, g => g.Dice.Mean),
            }), new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else
            Console.WriteLine(comparison.Markdown());
        return ExitCodes.Success;
    }

    /// <summary>
    /// `evaluate --protocol synapse --model`: predicts the test images of <paramref name="imagesDir"/>
    /// that have ground truth in <paramref name="labelsDir"/> into OUT/predictions; returns that folder.
    /// </summary>
    static string PredictSynapse(string modelPath, EncoderPrecision precision, string imagesDir, string labelsDir, string outDir, string? intensityName, string? descriptionsPath)
    {
        var intensity = ValueParsing.LibraryCall(() => VolumeIntensity.Parse(intensityName ?? VolumeIntensity.CtName), "--intensity");
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        using var model = PgSamModelCheckpoint.Load(modelPath, precision);
        string predictions = Path.Combine(outDir, "predictions");
        ConsoleProgress.Run("PG-SAM on the Synapse volumes", progress =>
            SynapseFolderPredictor.Predict(model, imagesDir, labelsDir, predictions, intensity, descriptions,
                new SyncProgress<(int Done, int Total, string Case)>(p => progress(p.Done, p.Total, p.Case))));
        return predictions;
    }
}
