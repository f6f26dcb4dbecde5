namespace SegSam.Batch;

/// <summary>
/// One label of a finished job: its voxel value, name, and size. PG-SAM label maps count voxels;
/// prompted objects have a volume only when they were propagated through a volume.
/// </summary>
public sealed record JobLabelVolume(int Label, string? Name, long? Voxels, double? VolumeMm3);
