using SegSam.Data;

namespace SegSam.Inference;

/// <summary>
/// A prompt on slice <paramref name="Index"/> across <paramref name="Axis"/> (<see cref="SliceAxis"/>)
/// of a session's volume, in the pixel coordinates of that slice as <see cref="SegmentationSession.Slice(int, int)"/>
/// shows it (x right, y down): a box, clicks, and optionally an earlier answer's low-res logits to refine.
/// </summary>
public sealed record SlicePrompt(int Axis, int Index, SamPrompt Prompt);
