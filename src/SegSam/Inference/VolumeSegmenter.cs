using SegSam.Data;

namespace SegSam.Inference;

/// <summary>
/// MedSAM-style propagation of a prompted object through a volume: the mask's bounding box on one
/// slice prompts the neighbouring slice, in both directions, until the object ends or the volume
/// does. A box prompt always gets a mask inside the box, so "ends" needs more than an empty mask:
/// propagation also stops where the mask suddenly grows (it has leaked into a neighbour, and the
/// next box would be larger still) and, for semantic models, where the predicted category has
/// differed from the prompted slice's for <see cref="ClassPatience"/> slices in a row (those
/// slices are dropped). The rules are all this type holds: the slices are predicted by the caller
/// (<see cref="SegmentationSession"/>), so the rules can be tested without a model.
/// </summary>
public sealed class VolumeSegmenter(int minArea = 4, double maxGrowth = 1.5, int classPatience = 2)
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
    /// Follows the object answered by <paramref name="start"/> on slice <paramref name="index"/>
    /// across <paramref name="axis"/> through slices <paramref name="first"/>…<paramref name="last"/>
    /// (inclusive: the volume, or the object's extent where the user knows it, as MedSAM's 3D
    /// evaluation takes it from the ground truth). <paramref name="predictSlice"/> answers a box
    /// prompt on another slice. Progress counts the slices visited.
    /// </summary>
    public SegmentedObject Propagate(int axis, int index, SemanticPrediction start, int first, int last,
        Func<int, SamPrompt, SemanticPrediction> predictSlice, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(predictSlice);
        if (index < first || index > last) throw new ArgumentOutOfRangeException(nameof(index), index, $"the prompted slice lies outside {first}…{last}");
        var masks = new Dictionary<int, byte[]>();
        if (start.Area > 0) masks[index] = start.Mask;
        if (start.Area < MinArea) return new SegmentedObject(axis, index, masks, start);
        int visited = 0;
        foreach (int step in new[] { -1, 1 })
        {
            var previous = start;
            var otherClass = new List<int>();
            for (int k = index + step; k >= first && k <= last; k += step)
            {
                cancel.ThrowIfCancellationRequested();
                var (x0, y0, x1, y1) = MaskGeometry.Bounds(previous.Mask, start.Width);
                var next = predictSlice(k, new SamPrompt { Box = new BoxPrompt(x0, y0, x1, y1) });
                progress?.Report(++visited);
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
        return new SegmentedObject(axis, index, masks, start);
    }
}
