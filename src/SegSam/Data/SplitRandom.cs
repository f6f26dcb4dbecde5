namespace SegSam.Data;

/// <summary>
/// A small seeded random generator whose whole state is one 64-bit number (SplitMix64), so
/// that training can save it in a checkpoint and resume with exactly the same draws.
/// System.Random's state cannot be saved.
/// </summary>
public sealed class SplitRandom(ulong state)
{
    public ulong State { get; private set; } = state;

    public ulong NextUInt64()
    {
        // SplitMix64 (Steele, Lea, Flood 2014): Weyl sequence + a 64-bit finaliser.
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, bound).</summary>
    public int Next(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound));
        // Lemire's multiply-shift; the tiny bias of skipping rejection is irrelevant at these bounds.
        return (int)((NextUInt64() >> 32) * (ulong)bound >> 32);
    }

    /// <summary>Uniform integer in [min, max].</summary>
    public int Next(int min, int max) => min + Next(max - min + 1);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
