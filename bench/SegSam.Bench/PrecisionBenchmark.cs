using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Inference;
using SegSam.IO;
using SegSam.Modeling;
using static TorchSharp.torch;

namespace SegSam.Bench;

/// <summary>
/// bf16 against float32 in one run: the image encoder's time at each size (random ViT weights),
/// and the agreement of the two on the built-in data with the bundled model — every held-out
/// object prompted with its exact box, masks compared with each other (IoU) and with the truth
/// (Dice), classes compared.
/// </summary>
public static class PrecisionBenchmark
{
    public static int Run(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = CoreBenchmark.Arg(args, "--repeats", 3);
        string presets = CoreBenchmark.ArgString(args, "--model", "vit_b_256,vit_b")!;
        string modelPath = CoreBenchmark.ArgString(args, "--segsam", "models/segsam-atlas.safetensors")!;
        string dataDir = CoreBenchmark.ArgString(args, "--data", "data/cache/atlas-128")!;
        string? output = CoreBenchmark.ArgString(args, "--out", null);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine($"SegSam precision benchmark: {threads} thread(s), {repeats} repeats (median)");

        var speed = new List<object>();
        foreach (string preset in presets.Split(','))
        {
            manual_seed(0);
            using var model = new SamModel(SamConfig.Preset(preset));
            model.eval();
            int size = model.ImgSize;
            double flops = EncoderFlops.Forward(model.Config.ImageEncoder);
            double fp32 = CoreBenchmark.EncoderMs(model, repeats);
            model.ImageEncoder.SetPrecision(EncoderPrecision.BFloat16);
            double bf16 = CoreBenchmark.EncoderMs(model, repeats);
            Console.WriteLine($"encoder {preset,-10} {size,4}²: float32 {fp32,9:F1} ms ({flops / (fp32 * 1e6),6:F1} GFLOP/s), bf16 {bf16,9:F1} ms ({flops / (bf16 * 1e6),6:F1} GFLOP/s); bf16/float32 = {bf16 / fp32:F2}");
            speed.Add(new { preset, size, float32_ms = fp32, bf16_ms = bf16, ratio = bf16 / fp32, gflop = flops / 1e9 });
        }

        var agreement = Agreement(modelPath, dataDir);
        Console.WriteLine($"agreement on {agreement.Data} ({agreement.Objects} boxes): mean IoU(bf16, float32) {agreement.MeanIou:F4} (min {agreement.MinIou:F3}), " +
                          $"DSC float32 {agreement.DiceFloat32:F4} → bf16 {agreement.DiceBFloat16:F4}, same class {agreement.SameClass:P1}");
        if (output is not null)
        {
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(new { threads, repeats, speed, agreement }, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    /// <summary>How the bf16 encoder's answers compare with float32's.</summary>
    public sealed record PrecisionAgreement(string Data, int Objects, double MeanIou, double MinIou, double DiceFloat32, double DiceBFloat16, double SameClass);

    static PrecisionAgreement Agreement(string modelPath, string dataDir)
    {
        var data = SliceDataset.LoadSplit(dataDir, "test");
        using var model = SegSamCheckpoint.Load(modelPath);
        var fp32 = Predict(model, data);
        model.Sam.ImageEncoder.SetPrecision(EncoderPrecision.BFloat16);
        var bf16 = Predict(model, data);
        var ious = fp32.Zip(bf16, (a, b) => OverlapMetrics.Count(a.Prediction.Mask, b.Prediction.Mask).Iou).ToList();
        return new PrecisionAgreement(data.Name, fp32.Count, ious.Average(), ious.Min(),
            fp32.Average(p => OverlapMetrics.Dice(p.Prediction.Mask, p.Truth)),
            bf16.Average(p => OverlapMetrics.Dice(p.Prediction.Mask, p.Truth)),
            fp32.Zip(bf16).Count(p => p.First.Prediction.ClassIndex == p.Second.Prediction.ClassIndex) / (double)fp32.Count);
    }

    static List<(SemanticPrediction Prediction, byte[] Truth)> Predict(SegSamModel model, SliceDataset data)
    {
        var sampler = new PromptSampler();
        var results = new List<(SemanticPrediction, byte[])>();
        using var predictor = new SegSamPredictor(model);
        foreach (var slice in data.Slices)
        {
            var objects = sampler.TestObjects(slice, box: true);
            if (objects.Count == 0) continue;
            predictor.SetSlice(slice.Image, data.Height, data.Width);
            var predictions = predictor.PredictBatch([.. objects.Select(o => o.Prompt)]);
            for (int i = 0; i < objects.Count; i++) results.Add((predictions[i], objects[i].Mask));
        }
        return results;
    }
}
