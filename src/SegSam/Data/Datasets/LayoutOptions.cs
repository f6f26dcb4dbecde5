namespace SegSam.Data.Datasets;

/// <summary>How a dataset layout is turned into prepared slices.</summary>
public sealed record LayoutOptions
{
    /// <summary>Side of the square slices (the model's input size).</summary>
    public int Size { get; init; } = 256;
    /// <summary>"CT" or "MR": overrides the modality the layout declares (and so the intensity normalisation of raw volumes).</summary>
    public string? Modality { get; init; }
    /// <summary>CT window (level, width) in HU; null = the layout's default (abdomen L40/W400; Synapse: TransUNet's [−125, 275]).</summary>
    public (double Level, double Width)? Window { get; init; }
    /// <summary>Slicing axes of 3D volumes: 0 sagittal, 1 coronal, 2 axial (SAM-Med2D slices along all three).</summary>
    public IReadOnlyList<int> Axes { get; init; } = [2];
    /// <summary>Category names file (see <see cref="CategoryNames"/>), for the layouts that carry no names.</summary>
    public string? Names { get; init; }
    /// <summary>Called with (cases done, cases in all, current case) while preparing.</summary>
    public Action<double, double, string>? Progress { get; init; }

    /// <summary>The CT window to use: the option, else <paramref name="fallback"/>.</summary>
    internal (double Level, double Width) CtWindow(string fallback) => Window ?? Intensity.CtWindows[fallback];

    internal void Validate()
    {
        if (Size is < 16 or > 4096) throw new ArgumentException($"slice size must lie in 16..4096, got {Size}");
        if (Modality is not (null or "CT" or "MR")) throw new ArgumentException($"modality must be CT or MR, got '{Modality}'");
        if (Window is { Width: <= 0 } w) throw new ArgumentException($"CT window width must be positive, got {w.Width}");
        if (Axes.Count == 0 || Axes.Any(a => a is < 0 or > 2) || Axes.Distinct().Count() != Axes.Count)
            throw new ArgumentException($"axes must be distinct values among 0 (sagittal), 1 (coronal), 2 (axial), got [{string.Join(", ", Axes)}]");
    }

    /// <summary>Rejects a window for a layout whose images are already scaled to [0, 255] (or [0, 1]).</summary>
    internal void RejectWindow(string layout)
    {
        if (Window is not null)
            throw new ArgumentException($"a CT window does not apply to {layout}: its images are already normalised");
    }
}
