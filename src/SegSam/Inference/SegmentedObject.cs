namespace SegSam.Inference;

/// <summary>One segmented object of a volume: its masks on the slices across one axis, and the prompted slice's answer (class, IoU).</summary>
public sealed record SegmentedObject(int Axis, int StartSlice, IReadOnlyDictionary<int, byte[]> SliceMasks, SemanticPrediction Start)
{
    public int VoxelCount => SliceMasks.Values.Sum(m => m.Count(v => v != 0));
    public int FirstSlice => SliceMasks.Count > 0 ? SliceMasks.Keys.Min() : StartSlice;
    public int LastSlice => SliceMasks.Count > 0 ? SliceMasks.Keys.Max() : StartSlice;

    /// <summary>An object seen on its prompted slice only (no mask at all when the answer is empty).</summary>
    public static SegmentedObject OnOneSlice(int axis, int index, SemanticPrediction answer) =>
        new(axis, index, answer.Area > 0 ? new Dictionary<int, byte[]> { [index] = answer.Mask } : new Dictionary<int, byte[]>(), answer);
}
