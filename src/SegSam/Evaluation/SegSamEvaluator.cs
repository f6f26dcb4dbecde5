using SegSam.Data;
using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Evaluation;

/// <summary>
/// Evaluates a SEG-SAM model the way the paper does: every object of every held-out slice is
/// prompted once, deterministically — its exact bounding box, and/or the object pixel farthest
/// from its border as a single click. Binary scores use SAM's decoder (for a click, the mask of
/// highest predicted IoU among the three; for a box, the single mask); semantic scores use the
/// semantic-aware decoder's mask and class (or SAM's mask with the cls token's class for the
/// cls baseline), counting the mask only when the class is right (mDSC).
/// </summary>
public static class SegSamEvaluator
{
    public static MetricsReport Evaluate(SegSamModel model, SliceDataset data, EvaluationOptions options,
                                         IProgress<(int Done, int Total)>? progress = null)
    {
        int size = model.Config.Sam.ImageEncoder.ImgSize;
        if (data.Height != size || data.Width != size)
            throw new InvalidDataException($"dataset {data.Name} has {data.Height}×{data.Width} slices; the model takes {size}×{size}");
        bool semantic = options.Semantic && model.Config.IsSemantic && data.Categories.SequenceEqual(model.Config.Categories);
        var sampler = new PromptSampler(options.MinAreaFraction);
        var results = new List<ObjectResult>();
        int[] dims = [data.Height, data.Width];
        model.eval();
        using var inference = inference_mode();
        for (int s = 0; s < data.Slices.Count; s++)
        {
            var slice = data.Slices[s];
            using var scope = NewDisposeScope();
            var (embedding, highRes) = model.EncodeImages(model.Sam.PreprocessSlices([slice.Image], data.Height, data.Width));
            foreach (bool box in new[] { true, false })
            {
                if (box ? !options.Boxes : !options.Points) continue;
                var objects = sampler.TestObjects(slice, box);
                if (objects.Count == 0) continue;
                var predictions = Predict(model, embedding, highRes, objects, box, size);
                for (int i = 0; i < objects.Count; i++)
                {
                    var (binary, semanticMask, predictedClass) = predictions[i];
                    var truth = objects[i].Mask;
                    var counts = OverlapMetrics.Count(binary, truth);
                    double? hd95 = null, nsd = null;
                    if (options.SurfaceDistances)
                    {
                        var distances = SurfaceMetrics.Distances(binary, truth, dims, data.PixelSpacing);
                        double h = distances.Hd95();
                        hd95 = double.IsNaN(h) ? null : h;
                        nsd = distances.Nsd(options.NsdToleranceMm);
                    }
                    bool? correct = null;
                    string? predicted = null;
                    double? semanticDice = null;
                    if (semantic && predictedClass is { } c)
                    {
                        predicted = model.Config.Categories[c];
                        correct = c == objects[i].Label - 1;
                        semanticDice = OverlapMetrics.Dice(semanticMask ?? binary, truth);
                    }
                    results.Add(new ObjectResult(data.Categories[objects[i].Label - 1], data.Modality, box ? "box" : "point",
                        counts.Dice, counts.Iou, correct, predicted, hd95, nsd, slice.Id) { SemanticMaskDice = semanticDice });
                }
            }
            progress?.Report((s + 1, data.Slices.Count));
        }
        return MetricsReport.Build(results);
    }

    /// <summary>Per object: SAM's binary mask, SAWD's mask (if any) and the predicted class (if any), at the input size.</summary>
    static List<(byte[] Binary, byte[]? Semantic, int? Class)> Predict(SegSamModel model, Tensor embedding, Tensor? highRes,
        IReadOnlyList<PromptedObject> objects, bool box, int size)
    {
        using var scope = NewDisposeScope();
        var (logits, output) = PromptLogits(model, embedding, highRes, objects, box, size);
        using (output)
        {
            var binary = Threshold(logits);
            var semantic = output.SemanticMask is { } s ? Threshold(Upsample(s, size)) : null;
            var classes = output.ClassLogits?.argmax(1).to(ScalarType.Int32).data<int>().ToArray();
            int hw = size * size;
            var result = new List<(byte[], byte[]?, int?)>(objects.Count);
            for (int i = 0; i < objects.Count; i++)
                result.Add((binary.AsSpan(i * hw, hw).ToArray(), semantic?.AsSpan(i * hw, hw).ToArray(), classes?[i]));
            return result;
        }
    }

    /// <summary>
    /// SAM's binary mask logits of each prompted object at the input size (P×1×S×S; for a click
    /// the mask of highest predicted IoU), with the decoder's whole output.
    /// </summary>
    internal static (Tensor Logits, SegSamOutput Output) PromptLogits(SegSamModel model, Tensor embedding, Tensor? highRes,
        IReadOnlyList<PromptedObject> objects, bool box, int size)
    {
        var device = model.Sam.Device;
        Tensor? boxes = null, points = null, labels = null;
        if (box)
            boxes = tensor(objects.SelectMany(o => new[] { (float)o.Prompt.Box!.Value.X0, (float)o.Prompt.Box.Value.Y0, (float)o.Prompt.Box.Value.X1, (float)o.Prompt.Box.Value.Y1 }).ToArray(), [objects.Count, 4], device: device);
        else
        {
            points = tensor(objects.SelectMany(o => new[] { (float)o.Prompt.Points[0].X, (float)o.Prompt.Points[0].Y }).ToArray(), [objects.Count, 1, 2], device: device);
            labels = ones([objects.Count, 1], dtype: ScalarType.Int32, device: device);
        }
        var output = model.Decode(embedding, points, labels, boxes, null, multimaskOutput: !box, highRes);
        var masks = output.BinaryMasks;
        if (masks.shape[1] > 1)
        {
            var best = output.Iou.argmax(1, keepdim: true);
            masks = masks.gather(1, best.view(-1, 1, 1, 1).expand(-1, 1, masks.shape[2], masks.shape[3]));
        }
        return (Upsample(masks, size), output);
    }

    static Tensor Upsample(Tensor logits, int size) =>
        logits.shape[^1] == size ? logits : nn.functional.interpolate(logits, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false);

    static byte[] Threshold(Tensor logits) => TensorData.ToFloatArray(logits).Select(v => v > 0 ? (byte)1 : (byte)0).ToArray();
}
