using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Text;
using SegSam.Training;
using SegSam.IO;

namespace SegSam.Cli.Commands;

/// <summary>The PG-SAM paths of `segsam evaluate` and `segsam segment` (thin: the work is in the library; training is <see cref="PgSamTrainingRun"/>'s).</summary>
public static class PgSamCli
{
    /// <summary>The notice of a PG-SAM prior without CLIP (<see cref="PgSamTrainingRun.ClipNotice"/>); {0} is the text encoder.</summary>
    public const string ClipNotice = PgSamTrainingRun.ClipNotice;

    /// <summary>
    /// Evaluates a PG-SAM model prompt-free on the held-out slices (regrouped to the model's lobes
    /// when it was trained on them) and, with <paramref name="segsamPath"/>, a SEG-SAM model
    /// prompted on the same slices; writes each report and the comparison table.
    /// </summary>
    public static int Evaluate(string modelPath, SliceDataset test, string? segsamPath, string? descriptionsPath, bool surface, string? outDir, bool json)
    {
        using var model = PgSamModelCheckpoint.Load(modelPath);
        var fine = test;
        int[]? coarseOfLabel = null;
        if (!test.Categories.SequenceEqual(model.Config.Categories))
        {
            if (!model.Config.Categories.SequenceEqual(AalLobes.Names))
                throw new InvalidDataException($"{test.Name}: categories differ from the model's ({test.Categories.Length} vs {model.Config.Categories.Length})");
            test = ClassGrouping.ToLobes(fine);
            coarseOfLabel = AalLobes.LabelMap(fine.Categories);
        }
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        var methods = new List<(string, MetricsReport)>();
        var pgsam = ConsoleProgress.Run($"PG-SAM on {test.Name}", progress =>
            PgSamEvaluator.Evaluate(model, test, descriptions, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
        methods.Add(("pgsam", pgsam));
        if (segsamPath is not null)
        {
            using var segsam = SegSamCheckpoint.Load(segsamPath);
            var map = coarseOfLabel ?? Enumerable.Range(0, fine.Categories.Length + 1).ToArray();
            var prompted = ConsoleProgress.Run($"SEG-SAM prompted on {fine.Name}", progress =>
                PgSamEvaluator.EvaluatePrompted(segsam, fine, test, map, surface, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, ""))));
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
    public static string PredictSynapse(string modelPath, string imagesDir, string labelsDir, string outDir, string? intensityName, string? descriptionsPath)
    {
        var intensity = Usage(() => VolumeIntensity.Parse(intensityName ?? VolumeIntensity.CtName), "--intensity");
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        using var model = PgSamModelCheckpoint.Load(modelPath);
        string predictions = Path.Combine(outDir, "predictions");
        ConsoleProgress.Run("PG-SAM on the Synapse volumes", progress =>
            SynapseFolderPredictor.Predict(model, imagesDir, labelsDir, predictions, intensity, descriptions,
                new SyncProgress<(int Done, int Total, string Case)>(p => progress(p.Done, p.Total, p.Case))));
        return predictions;
    }

    /// <summary>A library argument error as a usage error of <paramref name="option"/>.</summary>
    static T Usage<T>(Func<T> parse, string option)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
