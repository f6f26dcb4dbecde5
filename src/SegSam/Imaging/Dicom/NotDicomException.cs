namespace SegSam.Imaging.Dicom;

/// <summary>The file is not DICOM at all (no "DICM" marker and no recognizable dataset start).</summary>
public sealed class NotDicomException(string path, string problem) : DicomFormatException(path, problem);
