namespace SegSam.Evaluation;

/// <summary>
/// Count, mean and population standard deviation (numpy's default, ddof = 0) of the values
/// present; null and NaN values are missing and only counted.
/// </summary>
public sealed record SummaryStat(int Count, int Missing, double? Mean, double? Std)
{
    public static SummaryStat Of(IEnumerable<double?> values)
    {
        var present = new List<double>();
        int missing = 0;
        foreach (var v in values)
        {
            if (v is double d && !double.IsNaN(d)) present.Add(d);
            else missing++;
        }
        if (present.Count == 0) return new SummaryStat(0, missing, null, null);
        double mean = present.Average();
        double variance = present.Sum(d => (d - mean) * (d - mean)) / present.Count;
        return new SummaryStat(present.Count, missing, mean, Math.Sqrt(variance));
    }
}
