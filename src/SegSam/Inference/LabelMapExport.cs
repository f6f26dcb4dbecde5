namespace SegSam.Inference;

/// <summary>
/// segmentation.json of a prompt-free label map (<see cref="SegmentationSession.ExportLabelMap"/>):
/// the label table (value → name), each class's size, and how the slices were cut and normalised.
/// </summary>
public sealed record LabelMapExport(string Input, string Model, string Axis, int Slices, string Intensity,
                                    IReadOnlyDictionary<int, string> Labels, IReadOnlyList<ExportedClass> Classes, IReadOnlyList<string> Files);
