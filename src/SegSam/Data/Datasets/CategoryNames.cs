using System.Globalization;
using SegSam.IO;

namespace SegSam.Data.Datasets;

/// <summary>
/// Reads a category names file in either of two forms: "value name [code]" per line (like
/// mricron's aal.nii.txt: "1 Precentral_L 2001"; a trailing number after the name is a code and
/// is dropped), or one name per line for label values 1..N. Blank lines and lines starting with
/// '#' are skipped; the first form is used when every line starts with a number and has more.
/// </summary>
public static class CategoryNames
{
    public static IReadOnlyList<(int Value, string Name)> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: names file not found", path);
        var lines = InputFile.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (lines.Count == 0) throw new InvalidDataException($"{path}: no category names");
        var split = lines.Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToList();
        bool valued = split.All(p => p.Length >= 2 && IsInteger(p[0]));
        var entries = valued
            ? split.Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), string.Join(' ', p.Length >= 3 && IsInteger(p[^1]) ? p[1..^1] : p[1..])))
                .ToList()
            : lines.Select((l, i) => (i + 1, l)).ToList();
        foreach (var (value, name) in entries)
            if (value <= 0) throw new InvalidDataException($"{path}: label value {value} of '{name}' must be positive (0 is background)");
        if (entries.GroupBy(e => e.Item1).FirstOrDefault(g => g.Count() > 1) is { } twiceValue)
            throw new InvalidDataException($"{path}: label value {twiceValue.Key} is named twice");
        if (entries.GroupBy(e => e.Item2).FirstOrDefault(g => g.Count() > 1) is { } twiceName)
            throw new InvalidDataException($"{path}: category '{twiceName.Key}' is listed twice");
        return entries.OrderBy(e => e.Item1).ToList();
    }

    static bool IsInteger(string s) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
}
