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
/// class and semantic mask from the semantic-aware decoder (or the cls-token baseline). A prompt
/// may carry the low-res logits of an earlier answer (<see cref="SemanticPrediction.LowResLogits"/>)
/// to refine it. Several prompts of one kind can be decoded together, as the evaluation does.
/// With <see cref="TestTimeMirroring"/> every answer is the average of the slice's and its mirror's.
/// The predictor puts its model in evaluation mode. It is not thread-safe; the
/// <see cref="SegmentationSession"/> serialises its calls.
/// </summary>
public sealed class SegSamPredictor : IDisposable
{
    readonly SegSamModel model;
    SliceEmbedding? current;

    /// <param name="model">The model; the predictor puts it in evaluation mode.</param>
    /// <param name="testTimeMirroring">Whether to mirror (<see cref="TestTimeMirroring"/>); null: as the model's config says.</param>
    public SegSamPredictor(SegSamModel model, bool? testTimeMirroring = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        TestTimeMirroring = Mirrors(model, testTimeMirroring);
        model.eval();
    }

    public SegSamModel Model => model;
    public int InputSize => model.Config.Sam.ImageEncoder.ImgSize;

    /// <summary>
    /// Test-time mirroring, as nnU-Net mirrors its inputs at inference (here left to right only): each
    /// slice is also encoded mirrored left to right in the model's square frame, each prompt is mirrored
    /// with it and answered there too, and the mirrored answer, mirrored back, is averaged with the direct
    /// one: the chosen mask's logits (each view chooses its own among several), its predicted IoU, the
    /// class logits (…_L and …_R categories swapped back, <see cref="SliceAugmenter.LeftRightSwap"/>)
    /// and the semantic masks. Twice the encoder's and decoder's work. Unless the constructor is told
    /// otherwise, the model's <see cref="SegSamConfig.TestTimeMirroring"/>.
    /// </summary>
    public bool TestTimeMirroring { get; init; }

    /// <summary>Whether a predictor of this model mirrors when asked so (true/false) or not asked (null: the model's config).</summary>
    public static bool Mirrors(SegSamModel model, bool? asked) => asked ?? model.Config.TestTimeMirroring;

    /// <summary>Prepares and encodes a slice (H×W, intensities already in [0, 255]) for the prompts that follow.</summary>
    public void SetSlice(float[] pixels, int height, int width)
    {
        current?.Dispose();
        current = null;
        current = Encode(pixels, height, width);
    }

    /// <summary>One prompt on the slice of <see cref="SetSlice"/>.</summary>
    public SemanticPrediction Predict(SamPrompt prompt) => Predict(Current, prompt);

    /// <summary>
    /// Several prompts of one kind on the slice of <see cref="SetSlice"/>, decoded together (see
    /// <see cref="PredictBatch(SliceEmbedding, IReadOnlyList{SamPrompt}, bool)"/>); with
    /// <paramref name="candidates"/> each answer also carries every mask the decoder gave, as SAM's
    /// predictor returns all three of a click's.
    /// </summary>
    public IReadOnlyList<SemanticPrediction> PredictBatch(IReadOnlyList<SamPrompt> prompts, bool candidates = false) => PredictBatch(Current, prompts, candidates);

    SliceEmbedding Current => current ?? throw new InvalidOperationException("set a slice (SetSlice) before predicting");

    /// <summary>Encodes a slice (H×W, intensities in [0, 255]); the caller owns the result.</summary>
    internal SliceEmbedding Encode(float[] pixels, int height, int width)
    {
        if (height < 1 || width < 1 || pixels.Length != height * width)
            throw new ArgumentException($"{pixels.Length} values do not fill a {height}×{width} slice");
        if (pixels.Any(v => !float.IsFinite(v))) throw new ArgumentException("the slice contains NaN or infinite values");
        var frame = new SquareFrame(height, width, InputSize);
        var square = SliceGeometry.SquareResize(pixels, height, width, InputSize, labels: false);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var input = model.Sam.PreprocessSlices([square], InputSize, InputSize);
        var (embedding, highRes) = model.EncodeImages(input);
        if (!TestTimeMirroring) return new SliceEmbedding(embedding.DetachFromDisposeScope(), highRes?.DetachFromDisposeScope(), frame);
        var (mirrored, mirroredHighRes) = model.EncodeImages(input.flip(3));
        return new SliceEmbedding(embedding.DetachFromDisposeScope(), highRes?.DetachFromDisposeScope(), frame,
            mirrored.DetachFromDisposeScope(), mirroredHighRes?.DetachFromDisposeScope());
    }

    internal SemanticPrediction Predict(SliceEmbedding slice, SamPrompt prompt) => PredictBatch(slice, [prompt])[0];

    /// <summary>
    /// Prompts decoded together on one encoded slice; they must be of one kind (all with a box or
    /// none, the same number of clicks, all with a mask input or none), as the decoder takes them
    /// as one batch. Each gets the answer it would get alone, up to the last bit of rounding.
    /// With <paramref name="candidates"/>, each answer also carries every mask the decoder gave
    /// (<see cref="SemanticPrediction.CandidateMasks"/>).
    /// </summary>
    internal IReadOnlyList<SemanticPrediction> PredictBatch(SliceEmbedding slice, IReadOnlyList<SamPrompt> prompts, bool candidates = false)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var (logits, lowRes, chosenIou, output) = Decode(slice, prompts);
        using (output)
        {
            var frame = slice.Frame;
            var binary = logits.GreaterThan(0);
            var semantic = output.SemanticMask is { } s ? ToSlice(s, frame).GreaterThan(0) : null;
            // Mirrored, the output holds each candidate averaged over both views (Averaged).
            var all = candidates ? ToSlice(output.BinaryMasks, frame).GreaterThan(0) : null;
            var probabilities = output.ClassLogits?.softmax(1);
            var classes = output.ClassLogits?.argmax(1).to(ScalarType.Int32).data<int>().ToArray();
            var iou = TensorData.ToFloatArray(chosenIou);
            int side = (int)lowRes.shape[^1];
            var result = new List<SemanticPrediction>(prompts.Count);
            for (int i = 0; i < prompts.Count; i++)
            {
                int? cls = classes?[i];
                float[]? classProbabilities = probabilities is null ? null : TensorData.ToFloatArray(probabilities[i]);
                result.Add(new SemanticPrediction(frame.Height, frame.Width, TensorData.ToByteArray(binary[i]), iou[i],
                    semantic is null ? null : TensorData.ToByteArray(semantic[i]), cls, cls is { } c ? model.Config.Categories[c] : null, cls is { } k ? classProbabilities![k] : null)
                {
                    ClassProbabilities = classProbabilities,
                    LowResLogits = TensorData.ToFloatArray(lowRes[i]),
                    LowResSide = side,
                    CandidateMasks = all is null ? null : [.. Enumerable.Range(0, (int)all.shape[1]).Select(k => TensorData.ToByteArray(all[i, k]))],
                });
            }
            return result;
        }
    }

    /// <summary>
    /// SAM's binary mask logits of each prompt on the slice (P×1×H×W; for a lone click the mask of
    /// highest predicted IoU), the same masks at the decoder's resolution, their predicted IoU (P), and
    /// the decoder's whole output (with mirroring, the average of both views').
    /// </summary>
    internal (Tensor SliceLogits, Tensor LowRes, Tensor Iou, SegSamOutput Output) Decode(SliceEmbedding slice, IReadOnlyList<SamPrompt> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("give at least one prompt");
        foreach (var p in prompts) Validate(p, slice.Frame);
        var first = prompts[0];
        if (prompts.Any(p => (p.Box is null) != (first.Box is null) || p.Points.Count != first.Points.Count || (p.MaskInput is null) != (first.MaskInput is null)))
            throw new ArgumentException("prompts decoded together must be of one kind: all with a box or none, the same number of clicks, all with a mask input or none");
        var inModel = prompts.Select(slice.Frame.ToModel).ToList();
        int count = prompts.Count, clicks = first.Points.Count;
        var direct = ToTensors(inModel, mirror: false);
        var mirrored = slice.MirroredEmbedding is null ? null : ToTensors(inModel, mirror: true);
        // Several masks (a lone click; a lone box with box candidates): the one of highest predicted IoU answers.
        var tokens = model.Config.AnswerTokens(first.Box is not null, clicks, first.MaskInput is not null);
        var frame = slice.Frame;
        long perPass = PromptsPerPass(tokens, frame.Side);
        var sliceLogits = new List<Tensor>();
        var lowResParts = new List<Tensor>();
        var iouParts = new List<Tensor>();
        var outputs = new List<SegSamOutput>();
        foreach (var (start, n) in DecodePasses.Ranges(count, perPass))
        {
            using var pass = NewDisposeScope();
            var output = DecodeRows(slice.Embedding, slice.HighRes, direct, start, n, tokens);
            var (lowRes, iou) = Chosen(output);
            if (mirrored is not null)
            {
                var back = MirroredBack(DecodeRows(slice.MirroredEmbedding!, slice.MirroredHighRes, mirrored, start, n, tokens));
                var (mirroredLowRes, mirroredIou) = Chosen(back);
                (lowRes, iou) = (Mean(lowRes, mirroredLowRes), Mean(iou, mirroredIou));
                output = Averaged(output, back);
            }
            sliceLogits.Add(ToSlice(lowRes, frame).MoveToOuterDisposeScope());
            lowResParts.Add(lowRes.MoveToOuterDisposeScope());
            iouParts.Add(iou.MoveToOuterDisposeScope());
            outputs.Add(Moved(output));
        }
        return (DecodePasses.Join(sliceLogits), DecodePasses.Join(lowResParts), DecodePasses.Join(iouParts), outputs.Count == 1 ? outputs[0] : Joined(outputs));
    }

    /// <summary>The decoder's inputs for prompts in the model's frame (each null where the prompts have none), mirrored left to right in that frame on request.</summary>
    PromptTensors ToTensors(IReadOnlyList<SamPrompt> inModel, bool mirror)
    {
        var device = model.Sam.Device;
        // Pixel x of the S-wide model frame mirrors to S − 1 − x (centres: SAM's encoder adds the half pixel).
        double last = InputSize - 1;
        double X(double x) => mirror ? last - x : x;
        var first = inModel[0];
        int count = inModel.Count, clicks = first.Points.Count;
        Tensor? points = null, labels = null, boxes = null, masks = null;
        if (clicks > 0)
        {
            points = tensor(inModel.SelectMany(p => p.Points.SelectMany(q => new[] { (float)X(q.X), (float)q.Y })).ToArray(), [count, clicks, 2], device: device);
            labels = tensor(inModel.SelectMany(p => p.Points.Select(q => q.Label)).ToArray(), [count, clicks], device: device);
        }
        if (first.Box is not null)
            boxes = tensor(inModel.Select(p => p.Box!.Value).SelectMany(b =>
                new[] { (float)Math.Min(X(b.X0), X(b.X1)), (float)b.Y0, (float)Math.Max(X(b.X0), X(b.X1)), (float)b.Y1 }).ToArray(), [count, 4], device: device);
        if (first.MaskInput is { } m)
        {
            int side = (int)Math.Round(Math.Sqrt(m.Length));
            masks = tensor(inModel.SelectMany(p => p.MaskInput!).ToArray(), [count, 1, side, side], device: device);
            if (mirror) masks = masks.flip(3);
        }
        return new PromptTensors(points, labels, boxes, masks);
    }

    sealed record PromptTensors(Tensor? Points, Tensor? Labels, Tensor? Boxes, Tensor? Masks);

    SegSamOutput DecodeRows(Tensor embedding, Tensor? highRes, PromptTensors prompts, long start, long n, MaskOutputs tokens)
    {
        Tensor? Rows(Tensor? t) => t?.narrow(0, start, n);
        return model.Decode(embedding, Rows(prompts.Points), Rows(prompts.Labels), Rows(prompts.Boxes), Rows(prompts.Masks), tokens, highRes);
    }

    /// <summary>The mask that answers each prompt (B×1×L×L: of several, the one of highest predicted IoU) and its predicted IoU (B).</summary>
    static (Tensor LowRes, Tensor Iou) Chosen(SegSamOutput output)
    {
        var lowRes = output.BinaryMasks;
        if (lowRes.shape[1] == 1) return (lowRes, output.Iou[.., 0]);
        var best = output.Iou.argmax(1, keepdim: true);
        return (lowRes.gather(1, best.view(-1, 1, 1, 1).expand(-1, 1, lowRes.shape[2], lowRes.shape[3])), output.Iou.gather(1, best).squeeze(1));
    }

    /// <summary>The mirrored view's output in the direct view's terms: masks flipped back, …_L and …_R categories swapped back.</summary>
    SegSamOutput MirroredBack(SegSamOutput o)
    {
        var partner = leftRightPartner ??= tensor(SliceAugmenter.LeftRightSwap(model.Config.Categories).Skip(1).Select(label => (long)label - 1).ToArray(),
            device: model.Sam.Device).DetachFromDisposeScope();
        Tensor Categories(Tensor t) => t.index_select(1, partner);
        return new SegSamOutput(o.BinaryMasks.flip(3), o.Iou, o.ClassLogits is { } c ? Categories(c) : null, o.SemanticMask?.flip(3),
            o.PresenceLogits is { } p ? Categories(p) : null, o.CategoryMasks is { } m ? Categories(m.flip(3)) : null);
    }
    Tensor? leftRightPartner;

    static SegSamOutput Averaged(SegSamOutput a, SegSamOutput b)
    {
        static Tensor? Both(Tensor? x, Tensor? y) => x is null ? null : Mean(x, y!);
        return new SegSamOutput(Mean(a.BinaryMasks, b.BinaryMasks), Mean(a.Iou, b.Iou), Both(a.ClassLogits, b.ClassLogits),
            Both(a.SemanticMask, b.SemanticMask), Both(a.PresenceLogits, b.PresenceLogits), Both(a.CategoryMasks, b.CategoryMasks));
    }

    static Tensor Mean(Tensor a, Tensor b) => a.Plus(b).Over(2);

    /// <summary>Bound on the largest per-pass tensor of a batched decode (<see cref="DecodePasses.DefaultBytes"/>).</summary>
    public long PassBytes
    {
        get => passBytes;
        init => passBytes = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(PassBytes), "the pass bound must be positive");
    }
    readonly long passBytes = DecodePasses.DefaultBytes;

    /// <summary>
    /// Prompts a batched decode takes per pass on a slice padded to a square of
    /// <paramref name="squareSide"/>: within <see cref="PassBytes"/> for the decoder's features,
    /// SAM's masks at the decoder's size and on the square (three per prompt with
    /// <paramref name="multimask"/>), and the SAWD's per-category maps; with
    /// <see cref="TestTimeMirroring"/> a pass holds three sets of outputs (direct, mirrored, mean).
    /// </summary>
    public long PromptsPerPass(bool multimask, int squareSide) =>
        PromptsPerPass(multimask ? MaskOutputs.Multiple : MaskOutputs.Single, squareSide);

    /// <summary>As the other overload, for the mask tokens <paramref name="outputs"/> a decode returns.</summary>
    public long PromptsPerPass(MaskOutputs outputs, int squareSide)
    {
        long decoderSide = model.Sam.PromptEncoder.MaskInputSize.H;
        long masks = SegSamModel.TokenRange(outputs).GetOffsetAndLength(model.Sam.MaskDecoder.NumMaskTokens).Length;
        long outputFloats = Math.Max(masks * Math.Max((long)squareSide * squareSide, decoderSide * decoderSide),
            Math.Max(1, model.Config.NumClasses) * decoderSide * decoderSide) * (TestTimeMirroring ? 3 : 1);
        return DecodePasses.PromptsPerPass(model.Config.Sam, outputFloats, passBytes);
    }

    static SegSamOutput Moved(SegSamOutput o) => new(o.BinaryMasks.MoveToOuterDisposeScope(), o.Iou.MoveToOuterDisposeScope(),
        o.ClassLogits?.MoveToOuterDisposeScope(), o.SemanticMask?.MoveToOuterDisposeScope(), o.PresenceLogits?.MoveToOuterDisposeScope(),
        o.CategoryMasks?.MoveToOuterDisposeScope());

    /// <summary>The passes' outputs as one; the parts are released.</summary>
    static SegSamOutput Joined(List<SegSamOutput> parts)
    {
        Tensor? Join(Func<SegSamOutput, Tensor?> field) => field(parts[0]) is null ? null : cat([.. parts.Select(p => field(p)!)], 0);
        var joined = new SegSamOutput(Join(o => o.BinaryMasks)!, Join(o => o.Iou)!, Join(o => o.ClassLogits), Join(o => o.SemanticMask),
            Join(o => o.PresenceLogits), Join(o => o.CategoryMasks));
        foreach (var part in parts) part.Dispose();
        return joined;
    }

    /// <summary>Model-size logits (P×1×g×g) → logits on the slice (P×1×H×W): upsample to the padded square, crop.</summary>
    static Tensor ToSlice(Tensor logits, SquareFrame frame)
    {
        var square = logits.shape[^1] == frame.Side
            ? logits
            : nn.functional.interpolate(logits, size: [frame.Side, frame.Side], mode: InterpolationMode.Bilinear, align_corners: false);
        return frame.Side == frame.Height && frame.Side == frame.Width
            ? square
            : square[.., .., frame.Top..(frame.Top + frame.Height), frame.Left..(frame.Left + frame.Width)];
    }

    void Validate(SamPrompt prompt, SquareFrame frame)
    {
        if (prompt.Points.Count == 0 && prompt.Box is null) throw new ArgumentException("give a box or at least one point");
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
        if (prompt.MaskInput is { } mask)
        {
            // The prompt encoder takes masks at 4× the embedding grid, the size the decoder gives them.
            int side = (int)model.Sam.PromptEncoder.MaskInputSize.H;
            if (mask.Length != side * side)
                throw new ArgumentException($"a mask input holds {side}×{side} low-res logits (a previous answer's LowResLogits), got {mask.Length} values");
            if (mask.Any(v => !float.IsFinite(v))) throw new ArgumentException("the mask input contains NaN or infinite values");
        }
    }

    public void Dispose()
    {
        current?.Dispose();
        current = null;
        leftRightPartner?.Dispose();
        leftRightPartner = null;
    }
}
