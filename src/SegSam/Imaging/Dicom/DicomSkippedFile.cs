namespace SegSam.Imaging.Dicom;

/// <summary>A file in a scanned folder that is not part of any image series, and why.</summary>
public sealed record DicomSkippedFile(string Path, string Reason)
{
    public override string ToString() => $"{System.IO.Path.GetFileName(Path)}: {Reason}";
}
