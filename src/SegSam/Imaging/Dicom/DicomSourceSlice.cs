namespace SegSam.Imaging.Dicom;

/// <summary>
/// One slice of a loaded series as DICOM names it: the instance (and, for a multi-frame file,
/// the 1-based frame) it came from and the LPS position (mm) of its first pixel's centre.
/// Objects derived from the series (SEG, RTSTRUCT) reference slices by these.
/// </summary>
public sealed record DicomSourceSlice(string? SopClassUid, string? SopInstanceUid, int? FrameNumber, IReadOnlyList<double> Position, string File);
