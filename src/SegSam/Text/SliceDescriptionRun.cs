namespace SegSam.Text;

/// <summary>
/// The outcome of a <see cref="SliceDescriptionGenerator.Run"/>: one step per slice handled, and
/// how many slices were left undescribed because the run's limit was reached.
/// </summary>
public sealed record SliceDescriptionRun(IReadOnlyList<SliceDescriptionProgress> Steps, int Remaining)
{
    public int Generated => Steps.Count(s => s.Status == DescriptionStatus.Generated);
    public int Cached => Steps.Count(s => s.Status == DescriptionStatus.Cached);
}
