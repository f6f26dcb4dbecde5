using System.Globalization;
using System.Text;

namespace SegSam.Imaging.Dicom;

/// <summary>What <c>segsam info</c> shows about a loaded series.</summary>
public sealed record DicomSeriesSummary
{
    public required string Source { get; init; }
    public string? PatientId { get; init; }
    public string? StudyInstanceUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public string? Modality { get; init; }
    public string? SeriesDescription { get; init; }
    public required string TransferSyntax { get; init; }
    public string? PhotometricInterpretation { get; init; }
    public int FileCount { get; init; }
    public int SliceCount { get; init; }
    /// <summary>Columns, rows, slices: the volume's (nx, ny, nz).</summary>
    public required int[] Dims { get; init; }
    /// <summary>Voxel size along i, j, k in mm (k: distance between consecutive slice positions).</summary>
    public required double[] Spacing { get; init; }
    /// <summary>Slope and intercept of the first slice; <see cref="RescaleVaries"/> says whether others differ.</summary>
    public double RescaleSlope { get; init; } = 1;
    public double RescaleIntercept { get; init; }
    public bool RescaleVaries { get; init; }
    public string? RescaleType { get; init; }
    public double[] WindowCenter { get; init; } = [];
    public double[] WindowWidth { get; init; } = [];
    public required string StoredType { get; init; }
    public IReadOnlyList<DicomSkippedFile> SkippedFiles { get; init; } = [];
    /// <summary>Assumptions made while assembling the volume (e.g. a missing Pixel Spacing taken as 1 mm).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public override string ToString()
    {
        static string N(double v) => v.ToString("0.#####", CultureInfo.InvariantCulture);
        static string L(double[] v) => v.Length == 0 ? "-" : string.Join("\\", v.Select(N));
        var s = new StringBuilder();
        s.AppendLine($"DICOM series   {PrintableText.Escape(SeriesInstanceUid)}");
        s.AppendLine($"source         {PrintableText.Escape(Source)}");
        s.AppendLine($"patient        {PrintableText.Escape(PatientId ?? "-")}");
        s.AppendLine($"study          {PrintableText.Escape(StudyInstanceUid ?? "-")}");
        s.AppendLine($"modality       {PrintableText.Escape(Modality ?? "-")}   description {(SeriesDescription is null ? "-" : $"\"{PrintableText.Escape(SeriesDescription)}\"")}");
        s.AppendLine($"files          {FileCount}   slices {SliceCount}   transfer syntax {TransferSyntax}");
        s.AppendLine($"dims           {string.Join(" × ", Dims)}   spacing {string.Join(" × ", Spacing.Select(N))} mm");
        s.AppendLine($"pixels         {StoredType} {PrintableText.Escape(PhotometricInterpretation)}   rescale slope {N(RescaleSlope)} intercept {N(RescaleIntercept)}" +
                     $"{(RescaleVaries ? " (varies by slice)" : "")}{(RescaleType is null ? "" : $" {PrintableText.Escape(RescaleType)}")}");
        s.AppendLine($"window         center {L(WindowCenter)}   width {L(WindowWidth)}");
        foreach (var w in Warnings) s.AppendLine($"warning        {PrintableText.Escape(w)}");
        foreach (var f in SkippedFiles) s.AppendLine($"skipped        {PrintableText.Escape(f.ToString())}");
        return s.ToString();
    }
}
