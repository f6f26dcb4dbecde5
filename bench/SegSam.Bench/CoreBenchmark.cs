using System.Diagnostics;
using System.Text.Json;
using SegSam;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;
using SegSam.Data;

namespace SegSam.Bench;

/// <summary>
/// Machine matmul rate, then per preset (--model, comma-separated, e.g. vit_b_256,vit_b): the
/// image encoder's time, rate and peak resident memory, and decoder time per prompt on a cached
/// embedding, single and batched; all measured in one process so that the ratios are comparable.
/// </summary>
public static class CoreBenchmark
{
    public static int Run(string[] args)
    {
        int threads = Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = Arg(args, "--repeats", 5);
        string[] presets = ArgString(args, "--model", "vit_b_256")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? output = ArgString(args, "--out", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine($"SegSam core benchmark: {string.Join(", ", presets)}, {threads} thread(s), {repeats} repeats (median), {Environment.ProcessorCount} cores");

        // The machine's rate: the better of two square float32 GEMMs (larger ones run closer to peak).
        double matmul1024 = MatmulGflops(1024, repeats);
        double matmul2048 = MatmulGflops(2048, repeats);
        double matmul = Math.Max(matmul1024, matmul2048);
        Console.WriteLine($"matmul float32:               {matmul1024,8:F1} GFLOP/s at 1024³, {matmul2048:F1} at 2048³ (reference rate {matmul:F1})");
        var here = MklFastPathBenchmark.Here(matmul2048);
        var off = MklFastPathBenchmark.WithoutFastPath(threads, repeats);
        Console.WriteLine($"matmul 2048³, MKL fast path:  {here.Gflops,8:F1} GFLOP/s here (fast path {here.Status}; MKL branch {here.Branch}), " +
                          $"{off.Gflops:F1} in a child with {MklFastPath.Switch}=0 (branch {off.Branch}) → ×{here.Gflops / off.Gflops:F2}");

        var models = presets.Select(preset => (object)Model(preset, repeats, matmul)).ToList();
        if (output is not null)
        {
            var result = new
            {
                threads, repeats, cores = Environment.ProcessorCount,
                matmul_gflops = matmul, matmul_1024_gflops = matmul1024, matmul_2048_gflops = matmul2048,
                mkl_fast_path = here.FastPath, mkl_code_branch = here.Branch, matmul_2048_gflops_mkl_fast_path_off = off.Gflops, mkl_code_branch_off = off.Branch,
                models,
            };
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    /// <summary>One preset's rows: the encoder's time, rate and peak memory, then the decoder's per-prompt times.</summary>
    static object Model(string preset, int repeats, double matmul)
    {
        manual_seed(0);
        using var model = new SamModel(SamConfig.Preset(preset));
        var enc = model.Config.ImageEncoder;
        double encoderFlops = EncoderFlops.Forward(enc);
        PeakRss.Reset();
        double encoderMs = EncoderMs(model, repeats);
        double encoderPeak = PeakRss.MiB();
        double encoderGflops = encoderFlops / (encoderMs * 1e6);
        Console.WriteLine($"[{preset}] image encoder {enc.ImgSize}×{enc.ImgSize}: {encoderMs,8:F1} ms  ({encoderFlops / 1e9:F1} GFLOP → {encoderGflops:F1} GFLOP/s, {encoderGflops / matmul:P0} of matmul), peak RSS {encoderPeak:F0} MiB (model included)");

        PeakRss.Reset();
        var (decoderOnly, perPrompt, batched) = DecoderMs(model, repeats);
        double predictPeak = PeakRss.MiB();
        Console.WriteLine($"[{preset}] decoder, 1 point → low-res:   {decoderOnly,8:F2} ms per prompt (prompt encoder + mask decoder on the cached embedding, 3 masks)");
        Console.WriteLine($"[{preset}] predict, 1 point, 512×512:    {perPrompt,8:F2} ms per prompt (+ upsampling 3 masks to the original and copying them out)");
        Console.WriteLine($"[{preset}] predict, 16 boxes batched:    {batched,8:F2} ms per prompt (1 mask each, tensors kept) = {batched / perPrompt:F2}× the single prompt");
        Console.WriteLine($"[{preset}] SetImage + predictions:       peak RSS {predictPeak:F0} MiB (model included)");
        return new
        {
            preset, encoder_ms = encoderMs, encoder_gflop = encoderFlops / 1e9, encoder_gflops = encoderGflops,
            encoder_fraction_of_matmul = encoderGflops / matmul, encoder_peak_rss_mib = encoderPeak,
            decoder_ms_per_prompt = decoderOnly, predict_ms_per_prompt_512 = perPrompt, predict_ms_per_prompt_batched16 = batched,
            batched16_over_single = batched / perPrompt, predict_peak_rss_mib = predictPeak,
        };
    }

    internal static double MatmulGflops(int n, int repeats)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        a.matmul(b).Dispose();
        var ms = Median(repeats, () => a.matmul(b).Dispose());
        return 2.0 * n * n * n / (ms * 1e6);
    }

    /// <summary>Median time of the image encoder on one random image (after a warm-up), in its current precision.</summary>
    internal static double EncoderMs(SamModel model, int repeats)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        int size = model.ImgSize;
        var input = randn(1, model.Config.ImageEncoder.InChans, size, size);
        model.ImageEncoder.forward(input).Dispose(); // warm-up
        return Median(repeats, () => model.ImageEncoder.forward(input).Dispose());
    }

    static (double DecoderOnly, double PerPrompt, double Batched) DecoderMs(SamModel model, int repeats)
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
        double decoderOnly;
        using (inference_mode())
        {
            using var embedding = predictor.GetImageEmbedding();
            var (h, w) = predictor.InputSize;
            var coords = tensor(new float[] { 200f * w / 512, 260f * h / 512 }, [1, 1, 2]);
            var labels = tensor(new[] { 1 }, [1, 1]);
            void Decode()
            {
                using var inner = NewDisposeScope();
                var (sparse, dense) = model.PromptEncoder.forward(coords, labels, null, null);
                model.MaskDecoder.forward(embedding, model.PromptEncoder.GetDensePe(), sparse, dense, multimaskOutput: true);
            }
            for (int i = 0; i < 5; i++) Decode();
            decoderOnly = Median(repeats, () => { for (int i = 0; i < perRun; i++) Decode(); }) / perRun;
        }
        var boxes = tensor(Enumerable.Range(0, 16).SelectMany(i => new double[] { 10 + i, 20 + i, 300 + 5 * i, 310 + 4 * i }).ToArray(), [16, 4]);
        predictor.PredictTorch(null, null, boxes, null, multimaskOutput: false).Dispose();
        double batch = Median(repeats, () => predictor.PredictTorch(null, null, boxes, null, multimaskOutput: false).Dispose()) / 16;
        return (decoderOnly, single, batch);
    }

    internal static double Median(int repeats, Action action)
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

    internal static int Arg(string[] args, string name, int fallback) =>
        ArgString(args, name, null) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    internal static string? ArgString(string[] args, string name, string? fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
