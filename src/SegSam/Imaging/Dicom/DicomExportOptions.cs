namespace SegSam.Imaging.Dicom;

/// <summary>
/// What a written DICOM SEG or RTSTRUCT says about its origin: the algorithm (model) name and
/// version (Segment Algorithm Name, Algorithm Identification, Software Versions) and the new
/// series' description and number.
/// </summary>
public sealed record DicomExportOptions
{
    /// <summary>The model, e.g. "SegSam SEG-SAM segsam-atlas".</summary>
    public required string AlgorithmName { get; init; }
    /// <summary>The version of the algorithm, e.g. SegSam's version.</summary>
    public required string AlgorithmVersion { get; init; }
    public string SeriesDescription { get; init; } = "SegSam segmentation";
    /// <summary>Series Number of the new series (type 1 in the Segmentation Series module).</summary>
    public int SeriesNumber { get; init; } = 900;
    /// <summary>Content Label / Structure Set Label: a CS value (upper-case letters, digits, space, underscore; at most 16).</summary>
    public string ContentLabel { get; init; } = "SEGSAM";
}
