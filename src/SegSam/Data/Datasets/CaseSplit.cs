namespace SegSam.Data.Datasets;

/// <summary>
/// The deterministic train/test split of layouts that define none: whole cases are held out,
/// never slices of one case on both sides. Cases are sorted by name (ordinal); with n ≥ 2 cases,
/// t = max(1, round(n · <see cref="TestFraction"/>)) of them, evenly spread, are held out: those
/// at positions ⌊(j + ½) · n / t⌋ for j = 0 … t − 1 (about every fifth case).
/// A single case is all training.
/// </summary>
public static class CaseSplit
{
    public const double TestFraction = 0.2;

    public static IReadOnlySet<string> TestCases(IEnumerable<string> cases)
    {
        var sorted = cases.Distinct().Order(StringComparer.Ordinal).ToArray();
        int n = sorted.Length;
        if (n < 2) return new HashSet<string>();
        int t = Math.Max(1, (int)Math.Round(n * TestFraction, MidpointRounding.AwayFromZero));
        return Enumerable.Range(0, t).Select(j => sorted[(int)((j + 0.5) * n / t)]).ToHashSet(StringComparer.Ordinal);
    }
}
