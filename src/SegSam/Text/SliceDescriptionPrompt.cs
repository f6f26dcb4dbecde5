using System.Text.RegularExpressions;

namespace SegSam.Text;

/// <summary>
/// The question that asks a (medical, vision-capable) LLM for one slice's description, the text
/// PG-SAM's prior embeds per image, and the clean-up of its answer.
/// </summary>
/// <remarks>
/// Where the wording comes from. The PG-SAM paper (summary in shared/papers/, arXiv 2503.18227)
/// says only that a medical LLM generates "fine-grained textual descriptions of organ structures
/// and imaging modalities" per image, and the released code's README speaks of aligning
/// "radiology reports" with the images; the question itself is not published (the texts ship
/// pre-generated with its data, one <c>text_N.txt</c> per slice). So the question is ours, built
/// from those two points: the modality and view, then the visible organs and structures, each
/// with position, size, shape and texture (the attributes SEG-SAM's template asks of a category,
/// <see cref="DescriptionPrompt"/>, here asked of what one image shows), no diagnosis (with
/// SEG-SAM's disclaimer sentence, which keeps chat models from refusing). The word limit is
/// because the released code (net_injector.py) truncates each text to 77 tokens, CLIP's text
/// context, before its text tower: about 50 English words fit, the rest would be cut off unseen.
/// </remarks>
public static partial class SliceDescriptionPrompt
{
    /// <summary>The most words asked for (see the remarks: CLIP's 77-token context).</summary>
    public const int MaxWords = 50;

    /// <summary>
    /// The question for one image; <paramref name="modality"/>, when given (e.g. "MR" or "brain
    /// T1-weighted MRI axial slice"), tells the model what it is looking at.
    /// </summary>
    public static string Build(string? modality = null)
    {
        string what = string.IsNullOrWhiteSpace(modality) ? "" : $" ({modality.Trim()})";
        return $"The attached image is one slice of a medical scan{what}. Please describe it in one short paragraph of at most {MaxWords} words: "
            + "first the imaging modality and view, then the anatomical structures and organs that are visible, "
            + "each with its position in the image, its relative size, its shape and its texture or intensity. "
            + "Describe only what is visible, without making any medical diagnoses. "
            + "Your responses will not be used for any medical diagnosis or commercial purposes. "
            + "Answer with the description only.";
    }

    /// <summary>
    /// The answer as one line of plain text: markdown emphasis, a leading "Description:" label and
    /// enclosing quotes removed, whitespace collapsed. Throws <see cref="FormatException"/> when
    /// nothing is left.
    /// </summary>
    public static string CleanAnswer(string answer)
    {
        string text = Whitespace().Replace(Emphasis().Replace(answer, ""), " ").Trim();
        text = Label().Replace(text, "").Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"') text = text[1..^1].Trim();
        if (text.Length == 0) throw new FormatException("the answer is empty");
        return text;
    }

    [GeneratedRegex(@"\*\*|__")]
    private static partial Regex Emphasis();

    [GeneratedRegex(@"^(?:#+\s*)?description\s*:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Label();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
