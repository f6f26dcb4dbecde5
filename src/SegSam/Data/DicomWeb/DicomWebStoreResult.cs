namespace SegSam.Data.DicomWeb;

/// <summary>What a STOW-RS server reported storing: the SOP Instance UIDs of its Referenced SOP Sequence.</summary>
public sealed record DicomWebStoreResult(Uri Url, IReadOnlyList<string> StoredSopInstanceUids);
