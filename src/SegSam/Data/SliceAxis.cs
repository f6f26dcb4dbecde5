namespace SegSam.Data;

/// <summary>
/// The three directions slices are cut across on a volume's RAS+ grid (<see cref="SliceGeometry"/>):
/// 0 sagittal (across x), 1 coronal (across y), 2 axial (across z), and the slice ids that name
/// slices of a case in prepared data and in per-slice description files.
/// </summary>
public static class SliceAxis
{
    public const int Sagittal = 0;
    public const int Coronal = 1;
    public const int Axial = 2;

    /// <summary>"sagittal", "coronal", "axial", in axis order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sagittal", "coronal", "axial"];

    public static string Name(int axis) =>
        axis is >= 0 and <= 2 ? Names[axis] : throw new ArgumentOutOfRangeException(nameof(axis), axis, "axis must be 0 (sagittal), 1 (coronal) or 2 (axial)");

    /// <summary>The axis a name stands for (any case), or an <see cref="ArgumentException"/> listing the names.</summary>
    public static int Parse(string name) =>
        TryParse(name, out int axis) ? axis : throw new ArgumentException($"axis '{name}' is unknown; known: {string.Join(", ", Names)}");

    public static bool TryParse(string name, out int axis)
    {
        axis = Names.ToList().IndexOf(name.ToLowerInvariant());
        return axis >= 0;
    }

    /// <summary>The id of slice <paramref name="index"/> across <paramref name="axis"/> of case <paramref name="caseId"/>: "case0001-axial-042".</summary>
    public static string SliceId(string caseId, int axis, int index) => $"{caseId}-{Name(axis)}-{index:D3}";
}
