namespace SegSam.Inference;

/// <summary>One class of a prompt-free label map: its voxel value, name, voxel count and volume.</summary>
public sealed record ExportedClass(int Label, string Name, long Voxels, double VolumeMm3);
