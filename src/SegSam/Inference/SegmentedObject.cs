namespace SegSam.Inference;

/// <summary>One segmented object of a volume: its slices' masks, class and size.</summary>
public sealed record SegmentedObject(int Axis, int StartSlice, IReadOnlyDictionary<int, byte[]> SliceMasks, SemanticPrediction Start)
{
    public int VoxelCount => SliceMasks.Values.Sum(m => m.Count(v => v != 0));
    public int FirstSlice => SliceMasks.Keys.Min();
    public int LastSlice => SliceMasks.Keys.Max();
}
