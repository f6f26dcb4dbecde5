using SegSam.Data;
using SegSam.Imaging;

namespace SegSam.Inference;

/// <summary>One segmented object of a volume: its slices' masks, class and size.</summary>
public sealed record SegmentedObject(int Axis, int StartSlice, IReadOnlyDictionary<int, byte[]> SliceMasks, SemanticPrediction Start)
{
    public int VoxelCount => SliceMasks.Values.Sum(m => m.Count(v => v != 0));
    public int FirstSlice => SliceMasks.Keys.Min();
    public int LastSlice => SliceMasks.Keys.Max();
}

/// <summary>
/// Prompted segmentation of a slice of a 3D volume, and MedSAM-style propagation: the mask's
/// bounding box on one slice prompts the neighbouring slice, in both directions, until the
/// object ends (an empty or tiny mask) or the volume does. Works on a RAS+ volume whose
/// intensities are already in [0, 255]; slices are viewed as <see cref="SliceGeometry.Extract"/>
/// shows them, and prompts use that view's pixel coordinates.
/// </summary>
public sealed class VolumeSegmenter(SegSamPredictor predictor, int minArea = 4)
{
    /// <summary>Masks smaller than this end the propagation.</summary>
    public int MinArea { get; } = minArea;

    public SegmentedObject Segment(Volume ras, int axis, int index, SamPrompt prompt, bool propagate)
    {
        var start = PredictSlice(ras, axis, index, prompt);
        var masks = new Dictionary<int, byte[]>();
        if (start.Area > 0) masks[index] = start.Mask;
        if (propagate && start.Area >= MinArea)
        {
            foreach (int step in new[] { -1, 1 })
            {
                var previous = start.Mask;
                for (int k = index + step; k >= 0 && k < ras.Dims[axis]; k += step)
                {
                    var (x0, y0, x1, y1) = MaskGeometry.Bounds(previous, start.Width);
                    var box = new BoxPrompt(x0, y0, x1, y1);
                    var next = PredictSlice(ras, axis, k, new SamPrompt { Box = box });
                    if (next.Area < MinArea) break;
                    masks[k] = next.Mask;
                    previous = next.Mask;
                }
            }
        }
        return new SegmentedObject(axis, index, masks, start);
    }

    SemanticPrediction PredictSlice(Volume ras, int axis, int index, SamPrompt prompt)
    {
        var (pixels, h, w) = SliceGeometry.Extract(ras, axis, index);
        predictor.SetSlice(pixels, h, w);
        return predictor.Predict(prompt);
    }

    /// <summary>Writes objects into a label volume on the RAS grid: voxel value = label of the object (later objects win).</summary>
    public static float[] LabelVolume(Volume ras, IEnumerable<(SegmentedObject Object, int Label)> objects)
    {
        var labels = new float[ras.Data.Length];
        foreach (var (obj, label) in objects)
            foreach (var (k, mask) in obj.SliceMasks)
                SliceGeometry.Insert(labels, ras.Dims, obj.Axis, k, mask, label);
        return labels;
    }
}
