using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SegSam.Text;

/// <summary>
/// CLIP's text clean-up before BPE (clip/simple_tokenizer.py: <c>basic_clean</c>,
/// <c>whitespace_clean</c>, then lower case). CLIP runs <c>ftfy.fix_text</c> first; ftfy has no .NET
/// port, so this applies the parts of its default configuration that change well-formed text:
/// curly quotes made straight, Latin ligatures and full-width forms replaced by their letters. Not
/// done: its mojibake repair (text decoded with the wrong code page stays as it is) and its NFC
/// normalisation — .NET's is unavailable in invariant-globalization mode, which SegSam runs in, so a
/// letter written as base + combining accent ("e" + U+0301) is not composed into "é" and tokenizes
/// differently. Text from an LLM or a keyboard is composed already.
/// </summary>
internal partial class ClipTextCleaning
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string fixedText = FixText(text);
        // CLIP unescapes twice, so "&amp;amp;" becomes "&".
        string unescaped = WebUtility.HtmlDecode(WebUtility.HtmlDecode(fixedText)).Trim();
        return Whitespace().Replace(unescaped, " ").Trim().ToLowerInvariant();
    }

    static string FixText(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case >= '\u2018' and <= '\u201B': builder.Append('\''); break;
                case >= '\u201C' and <= '\u201F': builder.Append('"'); break;
                case >= '\uFB00' and <= '\uFB06': builder.Append(Ligatures[c - '\uFB00']); break;
                case >= '\uFF01' and <= '\uFF5E': builder.Append((char)(c - 0xFEE0)); break; // full-width ASCII
                case '\u3000': builder.Append(' '); break; // ideographic space
                default: builder.Append(c); break;
            }
        }
        return builder.ToString();
    }

    // U+FB00…U+FB06 by their compatibility decompositions (Unicode's UnicodeData.txt).
    static readonly string[] Ligatures = ["ff", "fi", "fl", "ffi", "ffl", "st", "st"];

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
