using SegSam.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// The tensors of one training step: the distinct images of the step and, for each of P
/// prompted objects, which image it is on, its prompt (all boxes or all single points), its
/// full-resolution mask, class id, the presence of the other categories and the label map.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    public required Tensor ImageIndex { get; init; }      // P, int64: row of the step's images
    public Tensor? Points { get; init; }                  // P×1×2
    public Tensor? PointLabels { get; init; }             // P×1
    public Tensor? Boxes { get; init; }                   // P×4
    public required Tensor Masks { get; init; }           // P×1×S×S float
    public required Tensor ClassIds { get; init; }        // P int64; IgnoredClass for a class-agnostic object
    public required Tensor Semantic { get; init; }        // P float: 1 for an object with a category, 0 for a class-agnostic one
    /// <summary>Whether any object of the step has a category (the semantic losses have something to learn from).</summary>
    public bool AnySemantic { get; init; }
    /// <summary>Whether every object of the step has a category.</summary>
    public bool AllSemantic { get; init; }
    public required Tensor Presence { get; init; }        // P×N float
    public required Tensor LabelMaps { get; init; }       // P×S×S int64 (0 = background)
    public bool UsesBoxes => Boxes is not null;
    public int PromptCount => (int)ClassIds.shape[0];

    /// <summary>Class id of a class-agnostic object: cross-entropy's default ignore index.</summary>
    public const long IgnoredClass = -100;

    /// <summary>
    /// Builds a step from sampled objects. Presence targets: every category with a labelled
    /// pixel in the image except the prompted object's own (the "unprompted" categories). A
    /// class-agnostic object (label 0) trains the binary mask only: its class is ignored.
    /// </summary>
    public static TrainingBatch Build(SliceDataset data, int[] sliceIndices, IReadOnlyList<(int Row, PromptedObject Object)> objects,
                                      int numClasses, Device device)
    {
        int p = objects.Count, hw = data.Height * data.Width;
        var masks = new float[p * hw];
        var classIds = new long[p];
        var semantic = new float[p];
        var presence = new float[p * Math.Max(numClasses, 1)];
        var labelMaps = new long[p * hw];
        var rows = new long[p];
        var points = new List<double>();
        var boxes = new List<double>();
        for (int i = 0; i < p; i++)
        {
            var (row, obj) = objects[i];
            var slice = data.Slices[sliceIndices[row]];
            rows[i] = row;
            for (int j = 0; j < hw; j++)
            {
                masks[i * hw + j] = obj.Mask[j];
                labelMaps[i * hw + j] = slice.Labels[j];
            }
            classIds[i] = obj.Label > 0 ? obj.Label - 1 : IgnoredClass;
            semantic[i] = obj.Label > 0 ? 1 : 0;
            if (numClasses > 0)
                foreach (int label in slice.LabelAreas().Keys)
                    if (label != obj.Label) presence[i * numClasses + label - 1] = 1;
            if (obj.Prompt.Box is { } b) boxes.AddRange([b.X0, b.Y0, b.X1, b.Y1]);
            else points.AddRange([obj.Prompt.Points[0].X, obj.Prompt.Points[0].Y]);
        }
        if (boxes.Count > 0 && points.Count > 0) throw new ArgumentException("a training step uses either boxes or points, not both");
        return new TrainingBatch
        {
            ImageIndex = tensor(rows, device: device),
            Boxes = boxes.Count > 0 ? tensor(boxes.Select(v => (float)v).ToArray(), [p, 4], device: device) : null,
            Points = points.Count > 0 ? tensor(points.Select(v => (float)v).ToArray(), [p, 1, 2], device: device) : null,
            PointLabels = points.Count > 0 ? ones([p, 1], dtype: ScalarType.Int32, device: device) : null,
            Masks = tensor(masks, [p, 1, data.Height, data.Width], device: device),
            ClassIds = tensor(classIds, device: device),
            Semantic = tensor(semantic, device: device),
            AnySemantic = semantic.Any(v => v > 0),
            AllSemantic = semantic.All(v => v > 0),
            Presence = tensor(presence, [p, Math.Max(numClasses, 1)], device: device),
            LabelMaps = tensor(labelMaps, [p, data.Height, data.Width], device: device),
        };
    }

    public void Dispose()
    {
        ImageIndex.Dispose();
        Points?.Dispose();
        PointLabels?.Dispose();
        Boxes?.Dispose();
        Masks.Dispose();
        ClassIds.Dispose();
        Semantic.Dispose();
        Presence.Dispose();
        LabelMaps.Dispose();
    }
}
