namespace SegSam.Server;

/// <summary>Body of POST /volumes/{id}/store (optional): the DICOM objects to store, "dicom-seg" (the default) and/or "rtstruct".</summary>
public sealed record StoreRequest(string[]? Formats);
