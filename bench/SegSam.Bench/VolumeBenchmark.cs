using System.Diagnostics;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.IO;
using SegSam.Modeling.PgSam;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Bench;

/// <summary>
/// Whole-volume work in one run: SEG-SAM propagation through the built-in MRI (per slice, the
/// `segment --propagate` path), PG-SAM prompt-free over a CT-sized volume (synthetic HU, random
/// weights of the default PG-SAM size), and, given a .pth, the time to load it.
/// </summary>
public static class VolumeBenchmark
{
    public static int Run(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        string segsamPath = CoreBenchmark.ArgString(args, "--segsam", "models/segsam-atlas.safetensors")!;
        string mri = CoreBenchmark.ArgString(args, "--image", "/usr/share/mricron/templates/ch2.nii.gz")!;
        string? pgsamPath = CoreBenchmark.ArgString(args, "--pgsam", null);
        string ctSize = CoreBenchmark.ArgString(args, "--ct-size", "512,512,200")!;
        string? pth = CoreBenchmark.ArgString(args, "--pth", null);
        string? output = CoreBenchmark.ArgString(args, "--out", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine($"SegSam volume benchmark: {threads} thread(s)");

        var (propagated, propagationMs) = Propagation(segsamPath, mri);
        Console.WriteLine($"segment --propagate ({Path.GetFileName(mri)}, axial): {propagated} slices, {propagationMs / propagated,8:F1} ms per slice (encode + decode + rules)");

        int[] dims = ctSize.Split(',').Select(int.Parse).ToArray();
        var (pgsamModel, pgsamMs, pgsamRss) = PromptFree(pgsamPath, dims);
        Console.WriteLine($"PG-SAM prompt-free {string.Join('×', dims)} ({pgsamModel}): {pgsamMs / 1000,8:F1} s ({pgsamMs / dims[2]:F0} ms per slice), peak RSS {pgsamRss / 1e9:F2} GB");

        double? loadMs = null;
        if (pth is not null)
        {
            var clock = Stopwatch.StartNew();
            using (var model = SamCheckpoint.Load(pth, modelType: CoreBenchmark.ArgString(args, "--model-type", "vit_b"))) { }
            loadMs = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine($"checkpoint load ({Path.GetFileName(pth)}, {new FileInfo(pth).Length / 1e6:F0} MB): {loadMs,8:F0} ms");
        }
        if (output is not null)
        {
            var result = new
            {
                threads, propagated_slices = propagated, propagation_ms_per_slice = propagationMs / propagated,
                pgsam_model = pgsamModel, pgsam_volume = dims, pgsam_seconds = pgsamMs / 1000, pgsam_peak_rss_bytes = pgsamRss, checkpoint_load_ms = loadMs,
            };
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    /// <summary>The README's propagation example: a box on axial slice 80 followed both ways.</summary>
    static (int Slices, double Ms) Propagation(string segsamPath, string image)
    {
        using var model = SegSamCheckpoint.Load(segsamPath);
        using var session = SegmentationSession.Open(image, model);
        var clock = Stopwatch.StartNew();
        var start = session.Prompt(new SlicePrompt(SliceAxis.Axial, 80, new SamPrompt { Box = new BoxPrompt(108, 71, 122, 112) }));
        var segmented = session.Propagate(start);
        return (Math.Max(1, segmented.SliceMasks.Count), clock.Elapsed.TotalMilliseconds);
    }

    static (string Model, double Ms, long PeakRss) PromptFree(string? path, int[] dims)
    {
        using var model = path is not null ? PgSamModelCheckpoint.Load(path) : DefaultSizeModel();
        string name = path is not null ? Path.GetFileName(path) : $"random {PgSamTrainingOptions.DefaultModelType}";
        // Smooth synthetic HU: air outside an ellipse of soft tissue with brighter blobs, so every slice has structure.
        var data = new float[(long)dims[0] * dims[1] * dims[2]];
        Parallel.For(0, dims[2], k =>
        {
            for (int j = 0; j < dims[1]; j++)
                for (int i = 0; i < dims[0]; i++)
                {
                    double x = (i - dims[0] / 2.0) / (dims[0] * 0.4), y = (j - dims[1] / 2.0) / (dims[1] * 0.3);
                    double hu = x * x + y * y < 1 ? 40 + 60 * Math.Sin(i * 0.05) * Math.Cos(j * 0.07 + k * 0.03) : -1000;
                    data[((long)k * dims[1] + j) * dims[0] + i] = (float)hu;
                }
        });
        var affine = new double[4, 4] { { 0.8, 0, 0, 0 }, { 0, 0.8, 0, 0 }, { 0, 0, 2.5, 0 }, { 0, 0, 0, 1 } };
        var volume = new Volume(dims, data, affine, "synthetic CT");
        var predictor = new PgSamVolumePredictor(model);
        var clock = Stopwatch.StartNew();
        predictor.Predict(volume, VolumeIntensity.SynapseCt, "bench");
        double ms = clock.Elapsed.TotalMilliseconds;
        using var self = Process.GetCurrentProcess();
        return (name, ms, self.PeakWorkingSet64);
    }

    /// <summary>A PG-SAM model of the size `segsam train --model pgsam` makes by default, with its random initial weights.</summary>
    static PgSamModel DefaultSizeModel()
    {
        manual_seed(0);
        var classes = SliceDataset.LoadSplit("data/cache/atlas-128", "test");
        var config = PgSamTrainingRun.ResolveConfig(ClassGrouping.Apply(classes, ClassGrouping.Lobes), new PgSamTrainingOptions { OutputFolder = "unused" });
        return new PgSamModel(config);
    }
}
