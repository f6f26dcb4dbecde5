namespace SegSam.Batch;

/// <summary>
/// A job's input on a PACS instead of shared storage: the DICOMweb service root, the study and
/// (optionally, when the study has one image series) the series. Credentials never travel in the
/// message: the worker has its own (docs/scale-out.md).
/// </summary>
public sealed record JobDicomWebInput
{
    /// <summary>The DICOMweb service root, e.g. http://pacs:8042/dicom-web; the worker must allow it (`segsam worker --dicomweb URL`).</summary>
    public required string Url { get; init; }

    /// <summary>The Study Instance UID.</summary>
    public required string Study { get; init; }

    /// <summary>The Series Instance UID; default the study's only image series.</summary>
    public string? Series { get; init; }
}
