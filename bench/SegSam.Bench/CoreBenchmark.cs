using System.Diagnostics;
using System.Text.Json;
using SegSam;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Bench;

/// <summary>
/// Machine matmul rate, image-encoder time and rate, and decoder time per prompt on a cached
/// embedding, all measured in one process so that the ratios are comparable.
/// </summary>
public static class CoreBenchmark
{
    public static int Run(string[] args)
    {
        int threads = Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = Arg(args, "--repeats", 5);
        string preset = ArgString(args, "--model", "vit_b_256");
        string? output = ArgString(args, "--out", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine($"SegSam core benchmark: {preset}, {threads} thread(s), {repeats} repeats (median), {Environment.ProcessorCount} cores");

        double matmul = MatmulGflops(1024, repeats);
        Console.WriteLine($"matmul 1024³ float32:        {matmul,8:F1} GFLOP/s");

        manual_seed(0);
        using var model = new SamModel(SamConfig.Preset(preset));
        var enc = model.Config.ImageEncoder;
        double encoderFlops = EncoderFlops.Forward(enc);
        double encoderMs = EncoderMs(model, repeats);
        double encoderGflops = encoderFlops / (encoderMs * 1e6);
        Console.WriteLine($"image encoder {enc.ImgSize}×{enc.ImgSize}:       {encoderMs,8:F1} ms  ({encoderFlops / 1e9:F1} GFLOP → {encoderGflops:F1} GFLOP/s, {encoderGflops / matmul:P0} of matmul)");

        var (perPrompt, batched) = DecoderMs(model, repeats);
        Console.WriteLine($"decoder, 1 point prompt:      {perPrompt,8:F2} ms per prompt (cached embedding, masks at 512×512)");
        Console.WriteLine($"decoder, 16 boxes batched:    {batched,8:F2} ms per prompt");

        if (output is not null)
        {
            var result = new
            {
                preset, threads, repeats, cores = Environment.ProcessorCount,
                matmul_gflops = matmul, encoder_ms = encoderMs, encoder_gflop = encoderFlops / 1e9,
                encoder_gflops = encoderGflops, encoder_fraction_of_matmul = encoderGflops / matmul,
                decoder_ms_per_prompt = perPrompt, decoder_ms_per_prompt_batched16 = batched,
            };
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    static double MatmulGflops(int n, int repeats)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        a.matmul(b).Dispose();
        var ms = Median(repeats, () => a.matmul(b).Dispose());
        return 2.0 * n * n * n / (ms * 1e6);
    }

    static double EncoderMs(SamModel model, int repeats)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        int size = model.ImgSize;
        var input = randn(1, 3, size, size);
        model.ImageEncoder.forward(input).Dispose(); // warm-up
        return Median(repeats, () => model.ImageEncoder.forward(input).Dispose());
    }

    static (double PerPrompt, double Batched) DecoderMs(SamModel model, int repeats)
    {
        using var predictor = new SamPredictor(model);
        var rng = new Random(1);
        var pixels = new byte[512 * 512 * 3];
        rng.NextBytes(pixels);
        predictor.SetImage(RasterImage.FromBytes(512, 512, 3, pixels));
        var prompt = new SamPrompt { Points = [new PointPrompt(200, 260, 1)] };
        const int perRun = 50;
        for (int i = 0; i < 5; i++) predictor.Predict(prompt);
        double single = Median(repeats, () => { for (int i = 0; i < perRun; i++) predictor.Predict(prompt, multimaskOutput: true); }) / perRun;

        using var scope = NewDisposeScope();
        var boxes = tensor(Enumerable.Range(0, 16).SelectMany(i => new double[] { 10 + i, 20 + i, 300 + 5 * i, 310 + 4 * i }).ToArray(), [16, 4]);
        predictor.PredictTorch(null, null, boxes, null, multimaskOutput: false).Dispose();
        double batch = Median(repeats, () => predictor.PredictTorch(null, null, boxes, null, multimaskOutput: false).Dispose()) / 16;
        return (single, batch);
    }

    static double Median(int repeats, Action action)
    {
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    static int Arg(string[] args, string name, int fallback) =>
        ArgString(args, name, null) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    static string? ArgString(string[] args, string name, string? fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
