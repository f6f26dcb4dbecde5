namespace SegSam.Data;

/// <summary>
/// Intensity normalisation to [0, 255] as SAM-Med2D prepares its data: CT through a window
/// (level/width in HU), MR by clipping to percentiles of the foreground and stretching.
/// </summary>
public static class Intensity
{
    /// <summary>Named CT windows (level, width) in HU.</summary>
    public static IReadOnlyDictionary<string, (double Level, double Width)> CtWindows { get; } = new Dictionary<string, (double, double)>
    {
        ["abdomen"] = (40, 400),
        ["soft-tissue"] = (50, 350),
        ["liver"] = (60, 150),
        ["lung"] = (-600, 1500),
        ["bone"] = (400, 1800),
        ["brain"] = (40, 80),
        // TransUNet / PG-SAM clip HU to [-125, 275]: level 75, width 400.
        ["transunet"] = (75, 400),
    };

    /// <summary>A CT window by name (<see cref="CtWindows"/>) or as "LEVEL,WIDTH" in HU; an <see cref="ArgumentException"/> otherwise.</summary>
    public static (double Level, double Width) ParseWindow(string text)
    {
        if (CtWindows.TryGetValue(text, out var named)) return named;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double level)
            || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double width)
            || !double.IsFinite(level) || !double.IsFinite(width))
            throw new ArgumentException($"window '{text}' is neither a window name ({string.Join(", ", CtWindows.Keys)}) nor LEVEL,WIDTH in HU");
        if (width <= 0) throw new ArgumentException($"window '{text}': the width must be positive");
        return (level, width);
    }

    /// <summary>Maps [level − width/2, level + width/2] linearly onto [0, 255], clipping outside.</summary>
    public static float[] Window(ReadOnlySpan<float> values, double level, double width)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), "window width must be positive");
        double low = level - width / 2;
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = (float)Math.Clamp((values[i] - low) / width * 255.0, 0, 255);
        return result;
    }

    /// <summary>
    /// MR normalisation: the <paramref name="lowPercent"/>–<paramref name="highPercent"/>
    /// percentiles of the non-zero voxels (zero is background in skull-stripped and padded MR)
    /// are mapped to 0 and 255, values outside clipped.
    /// </summary>
    public static float[] PercentileClip(ReadOnlySpan<float> values, double lowPercent = 0.5, double highPercent = 99.5)
    {
        var (low, high) = Percentiles(values, lowPercent, highPercent);
        var result = new float[values.Length];
        double range = high > low ? high - low : 1;
        for (int i = 0; i < values.Length; i++)
            result[i] = (float)Math.Clamp((values[i] - low) / range * 255.0, 0, 255);
        return result;
    }

    /// <summary>Two percentiles (linear interpolation between order statistics, as NumPy's default) of the non-zero values.</summary>
    public static (double Low, double High) Percentiles(ReadOnlySpan<float> values, double lowPercent, double highPercent)
    {
        var nonzero = new List<float>();
        foreach (var v in values) if (v != 0 && float.IsFinite(v)) nonzero.Add(v);
        if (nonzero.Count == 0) return (0, 0);
        nonzero.Sort();
        double At(double percent)
        {
            double pos = percent / 100.0 * (nonzero.Count - 1);
            int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, nonzero.Count - 1);
            return nonzero[lo] + (nonzero[hi] - nonzero[lo]) * (pos - lo);
        }
        return (At(lowPercent), At(highPercent));
    }
}
