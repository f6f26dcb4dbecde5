namespace SegSam.Imaging.Dicom;

/// <summary>The image series of a folder (subfolders are not searched) and the files skipped.</summary>
public sealed record DicomFolderScan(string Folder, IReadOnlyList<DicomSeriesInfo> Series, IReadOnlyList<DicomSkippedFile> Skipped);
