namespace SegSam.Server;

/// <summary>Body of PUT /volumes/{id}/objects/{oid}: accept the object (with this voxel value, or its category's) or give an accepted one another.</summary>
public sealed record ObjectUpdate(int? Label);
