namespace SegSam.Server;

/// <summary>Body of POST /volumes/{id}/objects/{oid}/propagate (optional): the first and last slice (inclusive) the object may reach.</summary>
public sealed record PropagateRequest(int? First, int? Last);
