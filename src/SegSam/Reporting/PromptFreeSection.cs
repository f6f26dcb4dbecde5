using SegSam.Evaluation;

namespace SegSam.Reporting;

/// <summary>
/// The report's prompt-free part (a PG-SAM model): per-structure scores on the held-out slices
/// (2D) and, when given, on a whole volume (3D) and a cross-dataset volume, the label-map gallery
/// and orthogonal views of the whole-volume result, and the model's card.
/// </summary>
public sealed record PromptFreeSection(string Model, IReadOnlyList<string> Structures, MetricsReport HeldOut)
{
    /// <summary>The whole volume scored per structure in 3D.</summary>
    public WholeVolumeResult? WholeVolume { get; init; }

    /// <summary>Another dataset's volume, scored as all structures against all labelled voxels.</summary>
    public WholeVolumeResult? CrossDataset { get; init; }

    /// <summary>Held-out slices: prediction beside truth.</summary>
    public IReadOnlyList<ReportFigure> Gallery { get; init; } = [];

    /// <summary>Sagittal, coronal and axial views of the whole-volume result(s).</summary>
    public IReadOnlyList<ReportFigure> VolumeViews { get; init; } = [];

    /// <summary>The model card, Markdown-ish as <see cref="ReportContent.ModelCard"/>.</summary>
    public string? ModelCard { get; init; }
}
