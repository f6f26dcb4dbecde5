using SegSam.Data;
using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// Prompted semantic segmentation of 2D slices with a SEG-SAM model: a slice is prepared exactly
/// as training slices were (intensities 0–255, centred square padding, resize to the model
/// size), encoded once, and then answers prompts given in the slice's own pixel coordinates.
/// Binary masks come from SAM's decoder (a single click uses the best of its three masks);
/// class and semantic mask from the semantic-aware decoder (or the cls-token baseline).
/// </summary>
public sealed class SegSamPredictor : IDisposable
{
    readonly SegSamModel model;
    Tensor? embedding;
    Tensor? highRes;
    SquareFrame? frame;

    public SegSamPredictor(SegSamModel model) => this.model = model;

    public SegSamModel Model => model;
    public int InputSize => model.Config.Sam.ImageEncoder.ImgSize;

    /// <summary>Prepares and encodes a slice (H×W, intensities already in [0, 255]).</summary>
    public void SetSlice(float[] pixels, int height, int width)
    {
        if (pixels.Length != height * width) throw new ArgumentException($"{pixels.Length} values do not fill a {height}×{width} slice");
        if (pixels.Any(v => !float.IsFinite(v))) throw new ArgumentException("the slice contains NaN or infinite values");
        Reset();
        frame = new SquareFrame(height, width, InputSize);
        var square = SliceGeometry.SquareResize(pixels, height, width, InputSize, labels: false);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        int channels = model.Config.Sam.ImageEncoder.InChans;
        var input = tensor(square, [1, 1, InputSize, InputSize], device: model.Sam.Device).expand(1, channels, -1, -1);
        var (e, h) = model.EncodeImages(model.Sam.Preprocess(input));
        embedding = e.DetachFromDisposeScope();
        highRes = h?.DetachFromDisposeScope();
    }

    public SemanticPrediction Predict(SamPrompt prompt)
    {
        if (embedding is null || frame is null) throw new InvalidOperationException("set a slice (SetSlice) before predicting");
        Validate(prompt, frame);
        var inModel = frame.ToModel(prompt);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var device = model.Sam.Device;
        Tensor? points = null, labels = null, box = null;
        if (inModel.Points.Count > 0)
        {
            points = tensor(inModel.Points.SelectMany(p => new[] { (float)p.X, (float)p.Y }).ToArray(), [1, inModel.Points.Count, 2], device: device);
            labels = tensor(inModel.Points.Select(p => p.Label).ToArray(), [1, inModel.Points.Count], device: device);
        }
        if (inModel.Box is { } b) box = tensor(new[] { (float)b.X0, (float)b.Y0, (float)b.X1, (float)b.Y1 }, [1, 4], device: device);
        // A lone click is ambiguous: take the best of SAM's three masks, as the evaluation does.
        bool multimask = box is null && inModel.Points.Count == 1;
        using var output = model.Decode(embedding, points, labels, box, null, multimask, highRes);
        int best = (int)output.Iou.argmax(1).item<long>();
        var binary = ToSlice(output.BinaryMasks[.., best..(best + 1)], frame);
        float iou = output.Iou[0, best].item<float>();
        byte[]? semantic = output.SemanticMask is { } s ? ToSlice(s, frame) : null;
        int? cls = null;
        float? probability = null;
        if (output.ClassLogits is { } logits)
        {
            var probabilities = logits.softmax(1);
            cls = (int)probabilities.argmax(1).item<long>();
            probability = probabilities[0, cls.Value].item<float>();
        }
        return new SemanticPrediction(frame.Height, frame.Width, binary, iou, semantic, cls,
            cls is { } c ? model.Config.Categories[c] : null, probability);
    }

    /// <summary>Model-size logits (1×1×g×g) → a 0/1 mask on the slice: upsample to the padded square, crop.</summary>
    static byte[] ToSlice(Tensor logits, SquareFrame frame)
    {
        using var scope = NewDisposeScope();
        var square = nn.functional.interpolate(logits, size: [frame.Side, frame.Side], mode: InterpolationMode.Bilinear, align_corners: false);
        var crop = square[0, 0, frame.Top..(frame.Top + frame.Height), frame.Left..(frame.Left + frame.Width)];
        return TensorData.ToFloatArray(crop).Select(v => v > 0 ? (byte)1 : (byte)0).ToArray();
    }

    static void Validate(SamPrompt prompt, SquareFrame frame)
    {
        if (prompt.Points.Count == 0 && prompt.Box is null) throw new ArgumentException("give a box or at least one point");
        if (prompt.MaskInput is not null) throw new ArgumentException("mask prompts are not supported on slices");
        foreach (var p in prompt.Points)
        {
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || p.X < 0 || p.Y < 0 || p.X > frame.Width - 1 || p.Y > frame.Height - 1)
                throw new ArgumentException($"point ({p.X}, {p.Y}) lies outside the {frame.Width}×{frame.Height} (width×height) slice");
            if (p.Label is not (0 or 1)) throw new ArgumentException($"point label must be 1 (object) or 0 (background), got {p.Label}");
        }
        if (prompt.Box is { } b)
        {
            if (!(b.X0 <= b.X1 && b.Y0 <= b.Y1))
                throw new ArgumentException($"box ({b.X0}, {b.Y0}, {b.X1}, {b.Y1}) is inverted: expected x0 ≤ x1 and y0 ≤ y1");
            if (b.X0 < 0 || b.Y0 < 0 || b.X1 > frame.Width - 1 || b.Y1 > frame.Height - 1)
                throw new ArgumentException($"box ({b.X0}, {b.Y0}, {b.X1}, {b.Y1}) extends outside the {frame.Width}×{frame.Height} (width×height) slice");
        }
    }

    void Reset()
    {
        embedding?.Dispose();
        embedding = null;
        highRes?.Dispose();
        highRes = null;
        frame = null;
    }

    public void Dispose() => Reset();
}
