using SegSam.Data;
using SegSam.Imaging;

namespace SegSam.Inference;

/// <summary>
/// Prompted segmentation of a slice of a 3D volume, and MedSAM-style propagation: the mask's
/// bounding box on one slice prompts the neighbouring slice, in both directions, until the
/// object ends or the volume does. A box prompt always gets a mask inside the box, so "ends" needs
/// more than an empty mask: propagation also stops where the mask suddenly grows (it has leaked
/// into a neighbour, and the next box would be larger still) and, for semantic models, where the
/// predicted category has differed from the prompted slice's for <see cref="ClassPatience"/>
/// slices in a row (those slices are dropped). Works on a RAS+ volume whose intensities are
/// already in [0, 255]; slices are viewed as <see cref="SliceGeometry.Extract"/> shows them, and
/// prompts use that view's pixel coordinates.
/// </summary>
public sealed class VolumeSegmenter(SegSamPredictor predictor, int minArea = 4, double maxGrowth = 1.5, int classPatience = 2)
{
    /// <summary>Masks smaller than this end the propagation.</summary>
    public int MinArea { get; } = minArea;

    /// <summary>A mask more than this many times its predecessor's area (of at least <see cref="GrowthFloor"/> pixels) ends the propagation.</summary>
    public double MaxGrowth { get; } = maxGrowth;

    /// <summary>Below this area a mask may grow freely: the tips of an object change fast relative to their size.</summary>
    public const int GrowthFloor = 50;

    /// <summary>Consecutive slices of another predicted category that end the propagation.</summary>
    public int ClassPatience { get; } = classPatience;

    /// <summary>
    /// Segments slice <paramref name="index"/> with <paramref name="prompt"/> and, when asked, propagates;
    /// <paramref name="range"/> (first and last slice, inclusive) bounds the propagation where the
    /// user knows the object's extent, as MedSAM's 3D evaluation takes it from the ground truth.
    /// </summary>
    public SegmentedObject Segment(Volume ras, int axis, int index, SamPrompt prompt, bool propagate, (int First, int Last)? range = null)
    {
        int first = Math.Max(0, range?.First ?? 0), last = Math.Min(ras.Dims[axis] - 1, range?.Last ?? int.MaxValue);
        var start = PredictSlice(ras, axis, index, prompt);
        var masks = new Dictionary<int, byte[]>();
        if (start.Area > 0) masks[index] = start.Mask;
        if (propagate && start.Area >= MinArea)
        {
            foreach (int step in new[] { -1, 1 })
            {
                var previous = start;
                var otherClass = new List<int>();
                for (int k = index + step; k >= first && k <= last; k += step)
                {
                    var (x0, y0, x1, y1) = MaskGeometry.Bounds(previous.Mask, start.Width);
                    var next = PredictSlice(ras, axis, k, new SamPrompt { Box = new BoxPrompt(x0, y0, x1, y1) });
                    if (next.Area < MinArea) break;
                    if (previous.Area >= GrowthFloor && next.Area > MaxGrowth * previous.Area) break;
                    if (start.ClassIndex is { } c && next.ClassIndex is { } n && n != c) otherClass.Add(k);
                    else otherClass.Clear();
                    masks[k] = next.Mask;
                    if (otherClass.Count >= ClassPatience) break;
                    previous = next;
                }
                // Slices at the end of the run that another category claimed belong to a neighbour.
                foreach (int other in otherClass) masks.Remove(other);
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
