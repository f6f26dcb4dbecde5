namespace SegSam.Inference;

/// <summary>
/// One object in segmentation.json: its number, the voxel value in labels.nii.gz, the category
/// and its probability, SAM's predicted IoU, its area on the prompted slice and, when it spans a
/// volume, its volume and slice range.
/// </summary>
public sealed record ExportedObject(int Index, int LabelValue, string? Category, float? ClassProbability, float PredictedIou,
                                    int Slice, int AreaPixels, double AreaMm2, double? VolumeMm3, int FirstSlice, int LastSlice);
