using System.Text.RegularExpressions;

namespace SegSam.Text;

/// <summary>
/// The SEG-SAM question that asks an LLM for a category's texture, shape and position (paper,
/// appendix 6.2), and the parser of its "1. Texture: … 2. Shape: … 3. Positional: …" answer.
/// </summary>
public static partial class DescriptionPrompt
{
    /// <summary>The placeholder that <see cref="Build"/> replaces with the category name.</summary>
    public const string ClassPlaceholder = "[class name]";

    /// <summary>
    /// The question for <paramref name="className"/>, word for word the paper's template. The
    /// sentence about the highlighted example is kept only when an image goes with the question
    /// (without one it would point the model at a picture it does not have). A modality, e.g.
    /// "brain T1-weighted MRI axial slice", says where the category is seen.
    /// </summary>
    public static string Build(string className, string? modality = null, bool withImage = false)
    {
        string where = string.IsNullOrWhiteSpace(modality) ? "" : $" as it appears in a {modality.Trim()}";
        string image = withImage ? $" The highlighted {className} example in the image is available for additional reference." : "";
        return $"Please directly describe the texture, shape, and position characteristics of the {className}{where} without making any medical diagnoses."
            + image
            + " Your responses will not be used for any medical diagnosis or commercial purposes. Below is the answer format:\n"
            + "1. Texture: [Description].\n"
            + "2. Shape: [Description].\n"
            + "3. Positional: [Description].";
    }

    /// <summary>
    /// Reads the three fields of an answer. Tolerates markdown bold/italics, bullets and headings,
    /// missing or different numbering, "Position:" for "Positional:", one line or several, text
    /// before the first field; a field ends at the next field or at a blank line (so closing
    /// remarks are dropped). Throws <see cref="FormatException"/> naming a missing or empty field.
    /// </summary>
    public static CategoryDescription ParseAnswer(string answer)
    {
        string text = Markup().Replace(answer.Replace("\r\n", "\n"), "");
        var labels = Label().Matches(text);
        var fields = new Dictionary<string, string>();
        var empty = new HashSet<string>();
        for (int i = 0; i < labels.Count; i++)
        {
            string field = labels[i].Groups["field"].Value.ToLowerInvariant();
            if (field.StartsWith("position")) field = "position";
            int begin = labels[i].Index + labels[i].Length;
            int end = i + 1 < labels.Count ? labels[i + 1].Index : text.Length;
            string body = text[begin..end].TrimStart();
            if (BlankLine().Match(body) is { Success: true } blank) body = body[..blank.Index];
            body = Whitespace().Replace(body, " ").Trim();
            // An empty occurrence is a mention ("the shape and position characteristics:"), not the field.
            if (body.Length == 0 || body.TrimEnd('.') == "[Description]") empty.Add(field);
            else fields.TryAdd(field, body);
        }
        foreach (var field in (string[])["texture", "shape", "position"])
        {
            if (fields.ContainsKey(field)) continue;
            string problem = empty.Contains(field) ? "an empty" : "no";
            throw new FormatException($"the answer has {problem} \"{Capitalise(field)}:\" field (expected \"1. Texture: … 2. Shape: … 3. Positional: …\"); it began: {Preview(answer)}");
        }
        return new CategoryDescription(fields["texture"], fields["shape"], fields["position"]);
    }

    static string Capitalise(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    static string Preview(string answer)
    {
        string flat = Whitespace().Replace(answer, " ").Trim();
        return flat.Length <= 200 ? $"\"{flat}\"" : $"\"{flat[..200]}…\"";
    }

    // Emphasis markers only; a lone "*" bullet at a line start is handled by the label pattern.
    [GeneratedRegex(@"\*\*|__|(?<=\S)\*|\*(?=\S)")]
    private static partial Regex Markup();

    // A field label: an optional bullet or heading mark, an optional number ("1." / "1)"), the
    // name, an optional "characteristics", then a colon; or the same alone on its line (a markdown
    // heading without a colon). The mark belongs to the label so the previous field does not end in it.
    [GeneratedRegex(@"(?<=^|[\s(])(?:[-*•>#]+[ \t]*)?(?:\d\s*[.)]\s*)?(?<field>texture|shape|positional|position)(?:\s+(?:characteristics|information))?\s*:"
        + @"|^[ \t]*(?:[-*•>#]+[ \t]*)?(?:\d\s*[.)]\s*)?(?<field>texture|shape|positional|position)(?:\s+(?:characteristics|information))?[ \t]*$",
        RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex Label();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex BlankLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
