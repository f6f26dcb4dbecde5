using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;

namespace SegSam.Bench;

/// <summary>
/// One SAM checkpoint, one image, one box, timed as SAM's own predictor is used: load the
/// checkpoint, set the image (resize + encoder), predict (prompt encoder + decoder + upsampling).
/// The side of bench/reference/speed.py that runs SegSam; prints one JSON line and can write the
/// mask logits for the parity comparison.
/// </summary>
public static class PredictBenchmark
{
    public static int Run(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = CoreBenchmark.Arg(args, "--repeats", 3);
        string checkpoint = CoreBenchmark.ArgString(args, "--checkpoint", null) ?? throw new ArgumentException("--checkpoint F.pth is required");
        string imagePath = CoreBenchmark.ArgString(args, "--image", null) ?? throw new ArgumentException("--image F.png is required");
        string modelType = CoreBenchmark.ArgString(args, "--model-type", "vit_b")!;
        var precision = EncoderPrecisions.Parse(CoreBenchmark.ArgString(args, "--precision", "fp32")!);
        double[] box = (CoreBenchmark.ArgString(args, "--box", null) ?? throw new ArgumentException("--box x0,y0,x1,y1 is required")).Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        string? logitsPath = CoreBenchmark.ArgString(args, "--out-logits", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);

        var clock = Stopwatch.StartNew();
        using var model = SamCheckpoint.Load(checkpoint, modelType: modelType, precision: precision);
        double loadMs = clock.Elapsed.TotalMilliseconds;
        var image = RasterImage.Load(imagePath);
        using var predictor = new SamPredictor(model);
        predictor.SetImage(image); // the first call also warms libtorch's kernels up, as the reference's first call does
        double setImageMs = CoreBenchmark.Median(repeats, () => predictor.SetImage(image));
        var prompt = new SamPrompt { Box = new BoxPrompt(box[0], box[1], box[2], box[3]) };
        var prediction = predictor.Predict(prompt, multimaskOutput: false);
        double predictMs = CoreBenchmark.Median(Math.Max(repeats, 10), () => predictor.Predict(prompt, multimaskOutput: false));
        if (logitsPath is not null)
            NpyFile.Write(logitsPath, NpyArray.From(prediction.Logits, 1, prediction.Count, prediction.Height, prediction.Width));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            implementation = "SegSam", threads, precision = EncoderPrecisions.Name(precision), load_ms = loadMs, set_image_ms = setImageMs,
            predict_ms = predictMs, peak_rss_bytes = self.PeakWorkingSet64,
        }));
        return 0;
    }
}
