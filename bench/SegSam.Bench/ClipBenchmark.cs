using System.Text.Json;
using SegSam;
using SegSam.Modeling.Clip;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Bench;

/// <summary>
/// CLIP ViT-B/32's towers as PG-SAM's prior runs them (random weights: the time does not depend on
/// them): milliseconds per image and per text at batch 1 and 8, and the GEMM rate each reaches as a
/// share of the machine's matmul rate, all measured in one process.
/// </summary>
public static class ClipBenchmark
{
    public static int Run(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = CoreBenchmark.Arg(args, "--repeats", 5);
        string? output = CoreBenchmark.ArgString(args, "--out", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine($"SegSam CLIP benchmark: ViT-B/32, {threads} thread(s), {repeats} repeats (median), {Environment.ProcessorCount} cores");
        double matmul = Math.Max(CoreBenchmark.MatmulGflops(1024, repeats), CoreBenchmark.MatmulGflops(2048, repeats));
        Console.WriteLine($"matmul float32 (reference rate): {matmul,8:F1} GFLOP/s");

        var config = ClipConfig.ViTB32;
        manual_seed(0);
        using var model = new ClipModel(config);
        model.eval();
        double imageFlops = ImageFlops(config), textFlops = TextFlops(config);
        var rows = new List<object>();
        foreach (int batch in new[] { 1, 8 })
        {
            double imageMs = PerItemMs(repeats, batch, () => randn(batch, 3, config.ImageResolution, config.ImageResolution), model.EncodeImage);
            double textMs = PerItemMs(repeats, batch, () => randint(0, config.VocabSize, [batch, config.ContextLength]), model.EncodeText);
            double imageRate = imageFlops / (imageMs * 1e6), textRate = textFlops / (textMs * 1e6);
            Console.WriteLine($"batch {batch}: image {imageMs,7:F1} ms/image ({imageFlops / 1e9:F1} GFLOP, {imageRate / matmul:P0} of matmul); " +
                              $"text {textMs,7:F1} ms/text ({textFlops / 1e9:F1} GFLOP, {textRate / matmul:P0} of matmul)");
            rows.Add(new { batch, image_ms = imageMs, image_fraction_of_matmul = imageRate / matmul, text_ms = textMs, text_fraction_of_matmul = textRate / matmul });
        }
        if (output is not null)
        {
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(new { threads, repeats, matmul_gflops = matmul, image_gflop = imageFlops / 1e9, text_gflop = textFlops / 1e9, rows },
                new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    static double PerItemMs(int repeats, int batch, Func<Tensor> input, Func<Tensor, Tensor> encode)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var x = input();
        encode(x).Dispose(); // warm-up
        return CoreBenchmark.Median(repeats, () => encode(x).Dispose()) / batch;
    }

    /// <summary>GEMM FLOPs of the image tower: patch embedding, per block q/k/v/out, attention and MLP, the projection.</summary>
    public static double ImageFlops(ClipConfig c)
    {
        double tokens = c.VisionTokens, w = c.VisionWidth, patches = tokens - 1;
        return 2 * patches * 3 * c.VisionPatchSize * c.VisionPatchSize * w + c.VisionLayers * BlockFlops(tokens, w) + 2 * w * c.EmbedDim;
    }

    /// <summary>GEMM FLOPs of the text tower over the full context (CLIP runs all 77 positions), and the projection.</summary>
    public static double TextFlops(ClipConfig c) =>
        c.TransformerLayers * BlockFlops(c.ContextLength, c.TransformerWidth) + 2 * c.TransformerWidth * c.EmbedDim;

    // q/k/v and output projections 2·n·4w², scores and weighted sum 2·2·n²·w, MLP (4w hidden) 2·2·n·4w².
    static double BlockFlops(double n, double w) => 2 * n * 4 * w * w + 4 * n * n * w + 16 * n * w * w;
}
