using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Imaging;
using SegSam.Inference;
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

    /// <summary>What a PG-SAM `segment` wrote, as segmentation.json: the label table (value → name) and each class's size.</summary>
    public sealed record VolumeResult(string Input, string Model, string Axis, int Slices, string Intensity,
                                      IReadOnlyDictionary<int, string> Labels, IReadOnlyList<ClassSummary> Classes, IReadOnlyList<string> Files);

    public sealed record ClassSummary(int Label, string Name, long Voxels, double VolumeMm3);

    /// <summary>
    /// `segsam segment` with a PG-SAM model: every slice of <paramref name="input"/> across the axis
    /// prompt-free (<see cref="PgSamVolumePredictor"/>), written as DIR/labels.nii.gz on the
    /// input's grid and affine, with DIR/segmentation.json holding the label table.
    /// </summary>
    public static int Segment(string modelPath, string input, string outDir, string? axisName, string? intensityName, string? window,
                              string? descriptionsPath, bool json)
    {
        int? axis = axisName is null ? null : Usage(() => PgSamVolumePredictor.ParseAxis(axisName), "--axis");
        var volume = MedicalImage.Load(input);
        string rule = intensityName ?? (volume.Data.Min() < -100 ? VolumeIntensity.CtName : VolumeIntensity.MrName);
        var intensity = Usage(() => VolumeIntensity.Parse(rule, window is null ? null : SegmentCommand.ParseWindow(window)), "--intensity");
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        using var model = PgSamModelCheckpoint.Load(modelPath);
        string caseId = CaseId(input);
        var prediction = ConsoleProgress.Run($"PG-SAM on {caseId}", progress =>
            new PgSamVolumePredictor(model).Predict(volume, intensity, caseId, axis, descriptions,
                new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, "slices"))));

        Directory.CreateDirectory(outDir);
        string nifti = Path.Combine(outDir, "labels.nii.gz");
        NiftiFile.Write(nifti, prediction.Labels, prediction.Labels.SourceDataType);
        string jsonPath = Path.Combine(outDir, "segmentation.json");
        var names = new[] { "background" }.Concat(model.Config.Categories).ToArray();
        var counts = prediction.VoxelCounts(names.Length);
        var spacing = volume.Spacing;
        double voxelMm3 = spacing[0] * spacing[1] * spacing[2];
        var result = new VolumeResult(input, "pgsam", PgSamVolumePredictor.AxisNames[prediction.Axis], prediction.SliceIds.Count, intensity.ToString(),
            names.Select((n, i) => (n, i)).ToDictionary(p => p.i, p => p.n),
            Enumerable.Range(1, names.Length - 1).Select(c => new ClassSummary(c, names[c], counts[c], counts[c] * voxelMm3)).ToList(),
            [nifti, jsonPath]);
        var options = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(jsonPath, System.Text.Json.JsonSerializer.Serialize(result, options));
        if (json) Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, options));
        else
        {
            Console.WriteLine($"{result.Slices} {result.Axis} slice(s) labelled prompt-free, intensity {result.Intensity}");
            foreach (var c in result.Classes.Where(c => c.Voxels > 0))
                Console.WriteLine($"label {c.Label} {c.Name}: {c.Voxels} voxels, {c.VolumeMm3:F0} mm³");
            foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
        }
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

    /// <summary>The case part of slice ids: the input's file name without its extension (.nii.gz counts as one), or a DICOM folder's name.</summary>
    public static string CaseId(string input)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(input));
        if (name.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase)) return name[..^".nii.gz".Length];
        return Directory.Exists(input) ? name : Path.GetFileNameWithoutExtension(name);
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
