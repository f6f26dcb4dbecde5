using SegSam.Imaging;
using SegSam.Modeling;
using TorchSharp;
using SegSam.Data;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// The reference SamPredictor: encode an image once, keep its embedding, then answer many
/// prompts with the light prompt encoder and mask decoder only.
/// </summary>
public sealed class SamPredictor : IDisposable
{
    readonly SamModel model;
    readonly ResizeLongestSide transform;
    Tensor? features;
    (int H, int W) originalSize;
    (int H, int W) inputSize;

    public SamPredictor(SamModel model)
    {
        this.model = model;
        transform = new ResizeLongestSide(model.ImgSize);
    }

    public SamModel Model => model;
    public bool IsImageSet => features is not null;
    public (int H, int W) OriginalSize => RequireImage().original;
    public (int H, int W) InputSize => RequireImage().input;

    /// <summary>Resizes (longest side = encoder size), normalises, pads and encodes an image.</summary>
    public void SetImage(RasterImage image)
    {
        using var scope = NewDisposeScope();
        var resized = transform.ApplyImage(image, model.Config.ImageEncoder.InChans, model.Device);
        Encode(resized, (image.Height, image.Width));
    }

    /// <summary>
    /// Encodes an image that is already the encoder-size resize of an original of
    /// <paramref name="originalSize"/> (the reference set_torch_image); prompts stay in the
    /// original frame.
    /// </summary>
    public void SetPreResizedImage(RasterImage resized, (int H, int W) originalSize)
    {
        // The masks come back at the original size: one float32 .NET array must hold them.
        if (originalSize.H < 1 || originalSize.W < 1 || (long)originalSize.H * originalSize.W > Array.MaxLength / sizeof(float))
            throw new ArgumentException($"an original size of {originalSize.H}×{originalSize.W} is not possible: each side must be at least 1 and the area at most {Array.MaxLength / sizeof(float)} pixels");
        if (Math.Max(resized.Height, resized.Width) != model.ImgSize)
            throw new ArgumentException($"a pre-resized image must have its longer side equal to the encoder size {model.ImgSize}, got {resized.Height}×{resized.Width}");
        var expected = ResizeLongestSide.PreprocessShape(originalSize.H, originalSize.W, model.ImgSize);
        if (expected != (resized.Height, resized.Width))
            throw new ArgumentException($"an original of {originalSize.H}×{originalSize.W} resizes to {expected.H}×{expected.W}, not {resized.Height}×{resized.Width}");
        using var scope = NewDisposeScope();
        Encode(ResizeLongestSide.ToChannels(resized, model.Config.ImageEncoder.InChans, model.Device), originalSize);
    }

    /// <summary>Restores a previously computed embedding (1×C×g×g) instead of running the encoder.</summary>
    public void SetEmbedding(Tensor embedding, (int H, int W) originalSize)
    {
        var enc = model.Config.ImageEncoder;
        long[] expected = [1, model.Config.PromptEncoder.EmbedDim, enc.GridSize, enc.GridSize];
        if (!embedding.shape.SequenceEqual(expected))
            throw new ArgumentException($"embedding must be {Shapes.Format(expected)} for this model, got {Shapes.Format(embedding.shape)}");
        ResetImage();
        features = embedding.to(ScalarType.Float32, model.Device).detach().clone();
        this.originalSize = originalSize;
        inputSize = ResizeLongestSide.PreprocessShape(originalSize.H, originalSize.W, model.ImgSize);
    }

    void Encode(Tensor resizedPixels, (int H, int W) original)
    {
        ResetImage();
        using var inference = inference_mode();
        using var input = model.Preprocess(resizedPixels);
        features = model.ImageEncoder.forward(input).DetachFromDisposeScope();
        originalSize = original;
        inputSize = ((int)resizedPixels.shape[2], (int)resizedPixels.shape[3]);
    }

    /// <summary>A copy of the cached embedding, 1×C×g×g; the caller disposes it.</summary>
    public Tensor GetImageEmbedding() => RequireImage().features.clone();

    /// <summary>The image embedding (1×C×g×g) as an array, e.g. to save as .npy.</summary>
    public NpyArray ImageEmbeddingArray()
    {
        using var embedding = GetImageEmbedding();
        return NpyArray.FromTensor(embedding);
    }

    public void ResetImage()
    {
        features?.Dispose();
        features = null;
    }

    /// <summary>Predicts masks for one set of prompts; all tensors are released before returning.</summary>
    public SamPrediction Predict(SamPrompt prompt, bool multimaskOutput = true)
    {
        var (_, original, _) = RequireImage();
        ValidatePrompt(prompt, original);
        using var scope = NewDisposeScope();
        Tensor? coords = null, labels = null, box = null, mask = null;
        if (prompt.Points.Count > 0)
        {
            coords = tensor(prompt.Points.SelectMany(p => new[] { p.X, p.Y }).ToArray(), [1, prompt.Points.Count, 2], ScalarType.Float64);
            labels = tensor(prompt.Points.Select(p => p.Label).ToArray(), [1, prompt.Points.Count]);
        }
        if (prompt.Box is { } b) box = tensor(new[] { b.X0, b.Y0, b.X1, b.Y1 }, [1, 4], ScalarType.Float64);
        if (prompt.MaskInput is { } m)
        {
            var (mh, mw) = model.PromptEncoder.MaskInputSize;
            mask = tensor(m, [1, 1, mh, mw]);
        }
        var output = PredictTorch(coords, labels, box, mask, multimaskOutput, returnLogits: true);
        var masks = output.Masks;
        var low = output.LowResLogits;
        return new SamPrediction((int)masks.shape[1], (int)masks.shape[2], (int)masks.shape[3],
            TensorData.ToFloatArray(masks), TensorData.ToFloatArray(output.IouPredictions),
            (int)low.shape[2], (int)low.shape[3], TensorData.ToFloatArray(low));
    }

    /// <summary>
    /// Batched prediction (the reference predict_torch, with coordinates in the ORIGINAL frame):
    /// coords B×N×2 with labels B×N, boxes B×4, mask input B×1×4g×4g; any may be null.
    /// Returns masks B×M×H×W (logits, or 0/1 when <paramref name="returnLogits"/> is false),
    /// IoU B×M and low-res logits B×M×4g×4g, created in the caller's dispose scope.
    /// The prompts are decoded and post-processed a few at a time (<see cref="PromptsPerPass"/>);
    /// each prompt's computation is independent of the others', so the result is the batch's.
    /// </summary>
    public SamBatchOutput PredictTorch(Tensor? coords, Tensor? labels, Tensor? boxes, Tensor? maskInput,
                                       bool multimaskOutput = true, bool returnLogits = false)
    {
        var (embedding, original, input) = RequireImage();
        long batch = ValidateBatch(coords, labels, boxes, maskInput);
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var device = model.Device;
        var modelCoords = coords is null ? null : transform.ApplyCoords(coords.to(device), original);
        var modelLabels = labels?.to(ScalarType.Int32, device);
        var modelBoxes = boxes is null ? null : transform.ApplyCoords(boxes.to(device).reshape(-1, 2, 2), original).reshape(-1, 4);
        var modelMask = maskInput?.to(ScalarType.Float32, device);

        int masksPerPrompt = multimaskOutput ? model.MaskDecoder.NumMultimaskOutputs : 1;
        var masks = new List<Tensor>();
        var ious = new List<Tensor>();
        var lowRes = new List<Tensor>();
        foreach (var (start, count) in DecodePasses.Ranges(batch, PromptsPerPass(masksPerPrompt, original)))
        {
            using var pass = NewDisposeScope();
            Tensor? Rows(Tensor? t) => t?.narrow(0, start, count);
            var (sparse, dense) = model.PromptEncoder.forward(Rows(modelCoords), Rows(modelLabels), Rows(modelBoxes), Rows(modelMask));
            var (low, iou) = model.MaskDecoder.forward(embedding, model.PromptEncoder.GetDensePe(), sparse, dense, multimaskOutput);
            var upscaled = model.PostprocessMasks(low, input, original);
            masks.Add((returnLogits ? upscaled : upscaled.GreaterThan(SamModel.MaskThreshold).to(ScalarType.Float32)).MoveToOuterDisposeScope());
            ious.Add(iou.MoveToOuterDisposeScope());
            lowRes.Add(low.MoveToOuterDisposeScope());
        }
        return new SamBatchOutput(DecodePasses.Join(masks).MoveToOuterDisposeScope(), DecodePasses.Join(ious).MoveToOuterDisposeScope(),
            DecodePasses.Join(lowRes).MoveToOuterDisposeScope());
    }

    /// <summary>Bound on the largest per-pass tensor of <see cref="PredictTorch"/> (<see cref="DecodePasses.DefaultBytes"/>).</summary>
    public long PassBytes
    {
        get => passBytes;
        init => passBytes = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(PassBytes), "the pass bound must be positive");
    }
    readonly long passBytes = DecodePasses.DefaultBytes;

    /// <summary>
    /// Prompts that <see cref="PredictTorch"/> decodes per pass: within <see cref="PassBytes"/>
    /// for the decoder's features and the M masks at the encoder size and at the original size.
    /// </summary>
    public long PromptsPerPass(int masksPerPrompt, (int H, int W) original) =>
        DecodePasses.PromptsPerPass(model.Config,
            (long)masksPerPrompt * Math.Max((long)model.ImgSize * model.ImgSize, (long)original.H * original.W), passBytes);

    (Tensor features, (int H, int W) original, (int H, int W) input) RequireImage()
    {
        if (features is null) throw new InvalidOperationException("set an image (SetImage) before predicting");
        return (features, originalSize, inputSize);
    }

    void ValidatePrompt(SamPrompt prompt, (int H, int W) original)
    {
        foreach (var p in prompt.Points)
        {
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
                throw new ArgumentException($"point ({p.X}, {p.Y}) is not a finite coordinate");
            if (p.X < 0 || p.Y < 0 || p.X > original.W || p.Y > original.H)
                throw new ArgumentException($"point ({p.X}, {p.Y}) lies outside the {original.W}×{original.H} (width×height) image");
            if (p.Label is not (0 or 1))
                throw new ArgumentException($"point label must be 1 (object) or 0 (background), got {p.Label}");
        }
        if (prompt.Box is { } b)
        {
            double[] values = [b.X0, b.Y0, b.X1, b.Y1];
            if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("box coordinates must be finite");
            if (b.X1 < b.X0 || b.Y1 < b.Y0)
                throw new ArgumentException($"box ({b.X0}, {b.Y0}, {b.X1}, {b.Y1}) is inverted: expected x0 ≤ x1 and y0 ≤ y1");
            if (b.X0 < 0 || b.Y0 < 0 || b.X1 > original.W || b.Y1 > original.H)
                throw new ArgumentException($"box ({b.X0}, {b.Y0}, {b.X1}, {b.Y1}) extends outside the {original.W}×{original.H} (width×height) image");
        }
        if (prompt.MaskInput is { } m)
        {
            var (mh, mw) = model.PromptEncoder.MaskInputSize;
            if (m.Length != mh * mw)
                throw new ArgumentException($"mask input must hold {mh}×{mw} low-res logits, got {m.Length} values");
            if (m.Any(v => !float.IsFinite(v))) throw new ArgumentException("mask input contains NaN or infinite values");
        }
    }

    // Shape checks in managed code: a bad shape reaching libtorch's matmul can end the process.
    // Returns the batch size (1 when no prompt is given: the decoder's no-prompt case).
    long ValidateBatch(Tensor? coords, Tensor? labels, Tensor? boxes, Tensor? maskInput)
    {
        long? batch = null;
        void Batch(long b, string what)
        {
            if (batch is { } known && known != b)
                throw new ArgumentException($"{what} has batch {b}, other prompts have {known}");
            batch = b;
        }
        if (coords is not null)
        {
            if (labels is null) throw new ArgumentException("point labels are required with point coordinates");
            if (coords.dim() != 3 || coords.shape[2] != 2)
                throw new ArgumentException($"point coordinates must be B×N×2, got {Shapes.Format(coords.shape)}");
            if (labels.dim() != 2 || labels.shape[0] != coords.shape[0] || labels.shape[1] != coords.shape[1])
                throw new ArgumentException($"point labels must be B×N = {coords.shape[0]}×{coords.shape[1]}, got {Shapes.Format(labels.shape)}");
            Batch(coords.shape[0], "point coordinates");
        }
        else if (labels is not null) throw new ArgumentException("point labels given without point coordinates");
        if (boxes is not null)
        {
            if (boxes.dim() != 2 || boxes.shape[1] != 4)
                throw new ArgumentException($"boxes must be B×4, got {Shapes.Format(boxes.shape)}");
            Batch(boxes.shape[0], "boxes");
        }
        if (maskInput is not null)
        {
            var (mh, mw) = model.PromptEncoder.MaskInputSize;
            if (maskInput.dim() != 4 || maskInput.shape[1] != 1 || maskInput.shape[2] != mh || maskInput.shape[3] != mw)
                throw new ArgumentException($"mask input must be B×1×{mh}×{mw}, got {Shapes.Format(maskInput.shape)}");
            Batch(maskInput.shape[0], "mask input");
        }
        return batch ?? 1;
    }

    public void Dispose() => ResetImage();
}
