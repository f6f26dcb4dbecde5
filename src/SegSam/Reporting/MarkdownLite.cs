using System.Net;
using System.Text;

namespace SegSam.Reporting;

/// <summary>
/// Renders markdown-ish text as plain HTML: "#" headings (one level below the report's section
/// heading), "-"/"*" bullet lists, paragraphs, and fenced blocks and "|" tables kept
/// preformatted. Every character of the text is escaped; inline markup stays as typed and
/// nothing becomes a link.
/// </summary>
internal static class MarkdownLite
{
    public static string ToHtml(string text)
    {
        var html = new StringBuilder();
        var paragraph = new List<string>();
        var items = new List<string>();
        var pre = new List<string>();
        bool fenced = false;

        void FlushParagraph()
        {
            if (paragraph.Count > 0) html.Append("<p>").Append(Escape(string.Join(' ', paragraph))).Append("</p>\n");
            paragraph.Clear();
        }
        void FlushList()
        {
            if (items.Count > 0) html.Append("<ul>").AppendJoin("", items.Select(i => $"<li>{Escape(i)}</li>")).Append("</ul>\n");
            items.Clear();
        }
        void FlushPre()
        {
            if (pre.Count > 0) html.Append("<pre>").Append(Escape(string.Join('\n', pre))).Append("</pre>\n");
            pre.Clear();
        }
        void FlushAll() { FlushParagraph(); FlushList(); FlushPre(); }

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
            if (trimmed.StartsWith('|')) { FlushParagraph(); FlushList(); pre.Add(trimmed); continue; }
            FlushPre();
            if (trimmed.Length == 0) { FlushAll(); continue; }

            int level = trimmed.TakeWhile(c => c == '#').Count();
            if (level is >= 1 and <= 6 && trimmed.Length > level && trimmed[level] == ' ')
            {
                FlushAll();
                int tag = Math.Min(level + 2, 6);
                html.Append($"<h{tag}>").Append(Escape(trimmed[level..].Trim())).Append($"</h{tag}>\n");
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
}
