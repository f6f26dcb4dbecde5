namespace SegSam.Imaging.Dicom;

/// <summary>One series found in a folder: its identity and files, from the headers only.</summary>
public sealed record DicomSeriesInfo(string SeriesInstanceUid, string? SeriesDescription, string? Modality, int? SeriesNumber, IReadOnlyList<string> Files)
{
    internal IReadOnlyList<DicomDataset> Headers { get; init; } = [];

    public override string ToString() =>
        $"{(SeriesInstanceUid.Length == 0 ? "(no Series Instance UID)" : SeriesInstanceUid)} " +
        $"\"{SeriesDescription}\" {Modality ?? "?"}, {Files.Count} file{(Files.Count == 1 ? "" : "s")}";
}
