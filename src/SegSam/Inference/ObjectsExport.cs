namespace SegSam.Inference;

/// <summary>
/// segmentation.json of a session's prompted objects (<see cref="SegmentationSession.ExportObjects"/>):
/// the input, the slice drawn in slice.png, one entry per object, and the files written.
/// </summary>
public sealed record ObjectsExport(string Input, string Axis, int Slice, IReadOnlyList<ExportedObject> Objects, IReadOnlyList<string> Files);
