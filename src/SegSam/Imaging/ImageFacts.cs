using SegSam.Imaging.Dicom;

namespace SegSam.Imaging;

/// <summary>What <see cref="MedicalImage.Describe"/> finds out about an image file.</summary>
public sealed record ImageFacts
{
    public required string Path { get; init; }
    /// <summary>"NIfTI-1", "DICOM", "MetaImage", "NRRD", "PNG", "JPEG", "BMP", "NumPy .npy", "NumPy .npz", "HDF5".</summary>
    public required string Format { get; init; }
    public required VolumeFacts Volume { get; init; }
    public NiftiFacts? Nifti { get; init; }
    public DicomSeriesSummary? Dicom { get; init; }
    /// <summary>Every array of a .npy/.npz or dataset of an HDF5 file; empty for the other formats.</summary>
    public IReadOnlyList<ArrayFacts> Arrays { get; init; } = [];
    /// <summary>Which array or dataset became <see cref="Volume"/> (.npz and HDF5).</summary>
    public string? ImageArray { get; init; }
}
