namespace SegSam.Data.DicomWeb;

/// <summary>A series retrieved with WADO-RS: the series as QIDO-RS described it, and the Part 10 files written for it.</summary>
public sealed record DicomWebRetrieval(DicomWebSeries Series, string StudyInstanceUid, string Folder, IReadOnlyList<string> Files, long Bytes);
