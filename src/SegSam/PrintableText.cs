using System.Globalization;
using System.Text;

namespace SegSam;

/// <summary>
/// Text from a file (a header's description, a DICOM attribute, a file name) made safe to print on
/// one terminal line: control characters become visible escapes (\n, \x1B), so a header cannot move
/// the cursor, recolour the terminal or forge a line of output.
/// </summary>
public static class PrintableText
{
    public static string Escape(string? text)
    {
        if (text is null || !text.Any(char.IsControl)) return text ?? "";
        var s = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (!char.IsControl(c)) s.Append(c);
            else if (c == '\n') s.Append("\\n");
            else if (c == '\r') s.Append("\\r");
            else if (c == '\t') s.Append("\\t");
            else s.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
        }
        return s.ToString();
    }
}
