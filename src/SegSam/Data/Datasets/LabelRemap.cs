using System.Globalization;

namespace SegSam.Data.Datasets;

/// <summary>
/// Recodes a layout's label values to 1..N in category order (0 stays background). Values the
/// table does not list become background when <see cref="DropUnlisted"/> (Synapse keeps 8 of
/// its 13 organs), else they are an error naming the file.
/// </summary>
internal sealed class LabelRemap
{
    readonly Dictionary<int, int> codes;

    public string[] Names { get; }
    public bool DropUnlisted { get; }

    /// <param name="categories">(source value, name) in category order.</param>
    /// <param name="background">Further source values that are background.</param>
    public LabelRemap(IReadOnlyList<(int Value, string Name)> categories, bool dropUnlisted, IEnumerable<int>? background = null)
    {
        codes = categories.Select((c, i) => (c.Value, Code: i + 1)).ToDictionary(c => c.Value, c => c.Code);
        foreach (int value in background ?? []) codes[value] = 0;
        Names = categories.Select(c => c.Name).ToArray();
        DropUnlisted = dropUnlisted;
    }

    /// <summary>"label-V" categories for the given values, in ascending order.</summary>
    public static LabelRemap Numbered(IEnumerable<int> values) =>
        new(values.Distinct().Order().Select(v => (v, $"label-{v}")).ToList(), dropUnlisted: false);

    public float[] Apply(float[] values, string source)
    {
        var result = new float[values.Length];
        // Label maps hold few distinct values in long runs: remember the last lookup.
        float last = 0;
        int lastCode = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v == 0) continue;
            if (v != last)
            {
                last = v;
                lastCode = Code(v, source);
            }
            result[i] = lastCode;
        }
        return result;
    }

    int Code(float v, string source)
    {
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw new InvalidDataException($"{source}: label value {v.ToString(CultureInfo.InvariantCulture)} is not a whole number");
        if (codes.TryGetValue((int)v, out int code)) return code;
        if (DropUnlisted) return 0;
        throw new InvalidDataException(
            $"{source}: label value {(int)v} is not among the categories ({string.Join(", ", codes.Where(c => c.Value > 0).OrderBy(c => c.Value).Zip(Names, (c, n) => $"{c.Key} {n}"))})");
    }
}
