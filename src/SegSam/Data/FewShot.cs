namespace SegSam.Data;

/// <summary>Few-shot training sets: a seeded share of the training slices (PG-SAM's 10 % setting).</summary>
public static class FewShot
{
    /// <summary>
    /// Indices (ascending) of max(1, round(fraction · count)) of <paramref name="count"/> items,
    /// drawn without replacement by a seeded shuffle: the same seed gives the same subset.
    /// </summary>
    public static int[] Subset(int count, double fraction, ulong seed)
    {
        if (count < 1) throw new ArgumentException("nothing to choose from", nameof(count));
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"fraction must lie in (0, 1], got {fraction}");
        int n = Math.Clamp((int)Math.Round(fraction * count, MidpointRounding.AwayFromZero), 1, count);
        var order = Enumerable.Range(0, count).ToArray();
        // A stream of its own, so that the subset does not depend on how training uses the seed.
        new SplitRandom(seed ^ 0x5EED_F3A5_0000_0001UL).Shuffle(order);
        return order.Take(n).Order().ToArray();
    }
}
