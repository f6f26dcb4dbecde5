namespace SegSam.Inference;

/// <summary>An object a session keeps in its label volume: its id, the voxel value it is written with, and its masks.</summary>
public sealed record AcceptedObject(int Id, int Label, SegmentedObject Object);
