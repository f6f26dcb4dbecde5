using System.CommandLine;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Data;

namespace SegSam.Cli.Commands;

/// <summary>`segsam predict`: one image, one set of prompts, SAM's masks, IoUs and logits.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model weights: .pth/.pt (torch.save) or .safetensors", Required = true };
        var config = new Option<string?>("--config") { Description = "Model-config JSON (see README); overrides --model-type" };
        var modelType = new Option<string?>("--model-type") { Description = $"Preset config: {string.Join(", ", SamConfig.PresetNames)}" };
        var image = new Option<string>("--image") { Description = "Image: .png/.jpg (gray or RGB, 8-bit) or .npy (H×W or H×W×3)", Required = true };
        var preResized = new Option<string?>("--pre-resized") { Description = "H,W: the image is already the encoder-size resize of an H×W original; prompts stay in the original frame" };
        var points = new Option<string[]>("--point") { Description = "x,y,label prompt (label 1 = object, 0 = background); repeatable", AllowMultipleArgumentsPerToken = false };
        var box = new Option<string?>("--box") { Description = "x0,y0,x1,y1 box prompt in pixels" };
        var maskInput = new Option<string?>("--mask-input") { Description = ".npy of low-res logits (4g×4g, e.g. a previous --out-lowres) used as a mask prompt" };
        var multimask = new Option<bool>("--multimask") { Description = "Return 3 masks for an ambiguous prompt instead of 1" };
        var outMask = new Option<string?>("--out-mask") { Description = "PNG of the best mask (highest predicted IoU), 0/255" };
        var outLogits = new Option<string?>("--out-logits") { Description = ".npy of mask logits at the original size, 1×M×H×W float32" };
        var outIou = new Option<string?>("--out-iou") { Description = ".npy of predicted IoUs, 1×M float32" };
        var outLowres = new Option<string?>("--out-lowres") { Description = ".npy of low-res logits, 1×M×4g×4g float32" };
        var outEmbedding = new Option<string?>("--out-embedding") { Description = ".npy of the image embedding, 1×C×g×g float32" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var precision = PrecisionOption.Create();

        var command = new Command("predict", "Segment an object in a 2D image from point/box/mask prompts with a SAM-family model.")
        {
            checkpoint, config, modelType, image, preResized, points, box, maskInput, multimask,
            outMask, outLogits, outIou, outLowres, outEmbedding, precision, json,
        };
        command.SetAction(parse =>
        {
            var prompt = new SamPrompt
            {
                Points = (parse.GetValue(points) ?? []).Select(ValueParsing.Point).ToList(),
                Box = parse.GetValue(box) is { } b ? ValueParsing.Box(b) : null,
            };
            var original = parse.GetValue(preResized) is { } pr ? ValueParsing.Size(pr, "--pre-resized") : ((int, int)?)null;
            var samConfig = parse.GetValue(config) is { } c ? SamConfig.Load(c) : null;
            string? type = parse.GetValue(modelType);
            if (type is not null && !SamConfig.PresetNames.Contains(type))
                throw new UsageException($"--model-type '{type}' is unknown; known: {string.Join(", ", SamConfig.PresetNames)}");

            var raster = RasterImage.Load(parse.GetValue(image)!);
            var encoderPrecision = PrecisionOption.Value(parse.GetValue(precision));
            using var model = SamCheckpoint.Load(parse.GetValue(checkpoint)!, samConfig, type, precision: encoderPrecision);
            using var predictor = new SamPredictor(model);
            if (original is { } size)
            {
                try { predictor.SetPreResizedImage(raster, size); }
                catch (ArgumentException e) { throw new UsageException($"--pre-resized: {e.Message}"); }
            }
            else predictor.SetImage(raster);
            if (parse.GetValue(maskInput) is { } maskPath)
                prompt = prompt with { MaskInput = ReadMaskInput(maskPath, model.PromptEncoder.MaskInputSize) };

            var result = predictor.Predict(prompt, parse.GetValue(multimask));
            int best = result.BestIndex;
            var written = new List<string>();
            if (parse.GetValue(outLogits) is { } fl) { NpyFile.Write(fl, NpyArray.From(result.Logits, 1, result.Count, result.Height, result.Width)); written.Add(fl); }
            if (parse.GetValue(outIou) is { } fi) { NpyFile.Write(fi, NpyArray.From(result.Iou, 1, result.Count)); written.Add(fi); }
            if (parse.GetValue(outLowres) is { } fr) { NpyFile.Write(fr, NpyArray.From(result.LowResLogits, 1, result.Count, result.LowResHeight, result.LowResWidth)); written.Add(fr); }
            if (parse.GetValue(outEmbedding) is { } fe)
            {
                NpyFile.Write(fe, predictor.ImageEmbeddingArray());
                written.Add(fe);
            }
            if (parse.GetValue(outMask) is { } fm)
            {
                var pixels = result.Mask(best).Select(v => (byte)(v * 255)).ToArray();
                PixelFile.WritePng(fm, result.Height, result.Width, 1, pixels);
                written.Add(fm);
            }

            var masks = Enumerable.Range(0, result.Count).Select(i => new
            {
                index = i,
                iou = result.Iou[i],
                area_px = result.Mask(i).Sum(v => (int)v),
            }).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    original_size = new[] { result.Height, result.Width },
                    best,
                    masks,
                    written,
                }, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.WriteLine($"image {result.Height}×{result.Width}, {result.Count} mask(s):");
                foreach (var m in masks)
                    Console.WriteLine($"  mask {m.index}: predicted IoU {m.iou:F3}, area {m.area_px} px{(m.index == best ? "  (best)" : "")}");
                foreach (var f in written) Console.WriteLine($"wrote {f}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Reads low-res logits saved as h×w, 1×h×w or 1×1×h×w.</summary>
    static float[] ReadMaskInput(string path, (long H, long W) size)
    {
        var array = NpyFile.Read(path);
        var s = array.Shape;
        bool ok = s.Length >= 2 && s[^2] == size.H && s[^1] == size.W && s[..^2].All(d => d == 1);
        if (!ok)
            throw new InvalidDataException($"{path}: mask input must be {size.H}×{size.W} low-res logits (optionally 1×… leading dims), got shape {Shapes.Format(s)}");
        return array.ToFloat32();
    }
}
