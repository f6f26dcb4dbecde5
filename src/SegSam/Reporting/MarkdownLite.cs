using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SegSam.Reporting;

/// <summary>
/// Renders markdown-ish text as plain HTML: "#" headings (one level below the report's section
/// heading), "-"/"*" bullet lists, paragraphs, fenced blocks (preformatted), "|" tables (a
/// header row of empty cells is left out), `code` and **bold**. Every character of
/// the text is escaped first; nothing becomes a link.
/// </summary>
internal static class MarkdownLite
{
    public static string ToHtml(string text)
    {
        var html = new StringBuilder();
        var paragraph = new List<string>();
        var items = new List<string>();
        var pre = new List<string>();
        var table = new List<string[]>();
        bool fenced = false;

        void FlushParagraph()
        {
            if (paragraph.Count > 0) html.Append("<p>").Append(Inline(string.Join(' ', paragraph))).Append("</p>\n");
            paragraph.Clear();
        }
        void FlushList()
        {
            if (items.Count > 0) html.Append("<ul>").AppendJoin("", items.Select(i => $"<li>{Inline(i)}</li>")).Append("</ul>\n");
            items.Clear();
        }
        void FlushPre()
        {
            if (pre.Count > 0) html.Append("<pre>").Append(Escape(string.Join('\n', pre))).Append("</pre>\n");
            pre.Clear();
        }
        void FlushTable()
        {
            if (table.Count == 0) return;
            html.Append("<table>");
            for (int r = 0; r < table.Count; r++)
            {
                bool header = r == 0 && table.Count > 1;
                if (header && table[0].All(c => c.Length == 0)) continue;
                string tag = header ? "th" : "td";
                html.Append("<tr>").AppendJoin("", table[r].Select(c => $"<{tag}>{Inline(c)}</{tag}>")).Append("</tr>");
            }
            html.Append("</table>\n");
            table.Clear();
        }
        void FlushAll() { FlushParagraph(); FlushList(); FlushPre(); FlushTable(); }

        foreach (string raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string line = raw.TrimEnd();
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                FlushAll();
                fenced = !fenced;
                continue;
            }
            if (fenced) { pre.Add(line); continue; }
            if (trimmed.StartsWith('|'))
            {
                FlushParagraph();
                FlushList();
                var cells = trimmed.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                if (!cells.All(c => c.Length > 0 && c.Trim(':').All(ch => ch == '-'))) table.Add(cells); // skip the |---| rule
                continue;
            }
            FlushPre();
            FlushTable();
            if (trimmed.Length == 0) { FlushAll(); continue; }

            int level = trimmed.TakeWhile(c => c == '#').Count();
            if (level is >= 1 and <= 6 && trimmed.Length > level && trimmed[level] == ' ')
            {
                FlushAll();
                int tag = Math.Min(level + 2, 6);
                html.Append($"<h{tag}>").Append(Inline(trimmed[level..].Trim())).Append($"</h{tag}>\n");
            }
            else if (trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed.StartsWith("* ", StringComparison.Ordinal))
            {
                FlushParagraph();
                items.Add(trimmed[2..].Trim());
            }
            else if (items.Count > 0 && line.Length > trimmed.Length)
                items[^1] += " " + trimmed; // an indented line continues the bullet above
            else
            {
                FlushList();
                paragraph.Add(trimmed);
            }
        }
        FlushAll();
        return html.ToString();
    }

    static string Escape(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Escaped text with `code` and **bold** spans (backticks and asterisks survive escaping).</summary>
    static string Inline(string s)
    {
        string html = Regex.Replace(Escape(s), "`([^`]+)`", "<code>$1</code>");
        return Regex.Replace(html, @"\*\*([^*]+)\*\*", "<strong>$1</strong>");
    }
}
