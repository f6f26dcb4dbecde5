namespace SegSam.Imaging.Dicom;

/// <summary>
/// What an object derived from a loaded series must repeat or reference: the slices in the
/// volume's k order (<see cref="DicomSeries"/>), the plane geometry, the identifying UIDs and the
/// first file's header (patient and study attributes are copied from it). Read from the headers
/// only (<see cref="DicomSeries.ReadSource"/>), or with the pixels (<see cref="DicomSeries.Source"/>).
/// Label volume voxel (i, j, k) is column i, row j of <see cref="Slices"/>[k].
/// </summary>
public sealed class DicomSourceSeries
{
    /// <summary>The folder or file the series was read from.</summary>
    public required string Source { get; init; }
    /// <summary>Slices in the order of the volume's k index (along the slice normal).</summary>
    public required IReadOnlyList<DicomSourceSlice> Slices { get; init; }
    /// <summary>Image Orientation (Patient): row then column direction cosines, LPS.</summary>
    public required IReadOnlyList<double> Orientation { get; init; }
    /// <summary>Pixel Spacing: between rows, then between columns (mm).</summary>
    public required IReadOnlyList<double> PixelSpacing { get; init; }
    public required int Rows { get; init; }
    public required int Columns { get; init; }
    public double? SliceThickness { get; init; }
    /// <summary>Distance between consecutive slices along the normal (mm).</summary>
    public required double SliceSpacing { get; init; }
    public string? StudyInstanceUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public string? FrameOfReferenceUid { get; init; }
    public string? Modality { get; init; }
    /// <summary>The header of the first slice's file (without pixels).</summary>
    internal DicomDataset Header { get; init; } = null!;

    /// <summary>The LPS position (mm) of the centre of pixel (<paramref name="column"/>, <paramref name="row"/>) of slice <paramref name="k"/>; fractional indices give points between centres.</summary>
    public double[] PatientPoint(int k, double column, double row)
    {
        var p = Slices[k].Position;
        var o = Orientation;
        double dc = column * PixelSpacing[1], dr = row * PixelSpacing[0];
        return [p[0] + dc * o[0] + dr * o[3], p[1] + dc * o[1] + dr * o[4], p[2] + dc * o[2] + dr * o[5]];
    }
}
