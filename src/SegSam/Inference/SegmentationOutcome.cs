namespace SegSam.Inference;

/// <summary>
/// What <see cref="SegmentationRun.Execute"/> wrote: the prompt-free label map (PG-SAM) or the
/// prompted objects (SEG-SAM); exactly one is set.
/// </summary>
public sealed record SegmentationOutcome(LabelMapExport? LabelMap, ObjectsExport? Objects)
{
    /// <summary>The files written, each complete (written atomically).</summary>
    public IReadOnlyList<string> Files => LabelMap?.Files ?? Objects?.Files ?? [];
}
