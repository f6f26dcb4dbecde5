using System.Text;
using System.Text.RegularExpressions;

namespace SegSam.Text;

/// <summary>
/// The offline default text encoder: no model, no download. Deterministic feature hashing of the
/// lower-cased text — word unigrams, word bigrams and character 3–5-grams of each word (with
/// boundary marks), common English function words left out — into <see cref="Dimension"/> signed
/// buckets (FNV-1a 64: low bits pick the bucket, the top bit the sign), weighted by sublinear term
/// frequency 1 + ln(tf) and L2-normalised.
/// <para>
/// Be clear about what this is: it captures lexical overlap (shared words and word pieces such as
/// "left", "frontal", "gyrus"), not meaning. "Heart" and "cardiac" are unrelated to it, and two
/// descriptions written in different words look dissimilar. It lets T2VSE run and be tested without
/// network access; use <see cref="OpenAiEmbeddingEncoder"/> (what SEG-SAM used) for semantics.
/// </para>
/// </summary>
public sealed partial class HashingTextEncoder : ITextEncoder
{
    public const int DefaultDimension = 256;

    // Words that every description shares carry no information about the category.
    static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "by", "as", "is", "are", "be",
        "it", "its", "with", "from", "for", "this", "that", "which",
    ];

    public HashingTextEncoder(int dimension = DefaultDimension)
    {
        if (dimension is < 1 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the hashing dimension must be in 1…1048576");
        Dimension = dimension;
    }

    public string Id => $"hashing-v1:{Dimension}";

    public int Dimension { get; }

    public float[][] Encode(IReadOnlyList<string> texts) => texts.Select(Embed).ToArray();

    /// <summary>The vector of one text; all zeros when the text has no words.</summary>
    public float[] Embed(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string feature) => counts[feature] = counts.GetValueOrDefault(feature) + 1;

        var words = Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => !StopWords.Contains(w)).ToList();
        for (int i = 0; i < words.Count; i++)
        {
            Add("w:" + words[i]);
            if (i + 1 < words.Count) Add("b:" + words[i] + " " + words[i + 1]);
            string marked = "<" + words[i] + ">";
            for (int n = 3; n <= 5; n++)
                for (int s = 0; s + n <= marked.Length; s++)
                    Add("c:" + marked.Substring(s, n));
        }

        var vector = new double[Dimension];
        foreach (var (feature, tf) in counts)
        {
            ulong h = Fnv1a64(feature);
            double weight = 1 + Math.Log(tf);
            vector[(int)(h % (ulong)Dimension)] += (h >> 63) == 0 ? weight : -weight;
        }
        double norm = Math.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => norm > 0 ? (float)(v / norm) : 0f).ToArray();
    }

    static ulong Fnv1a64(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
