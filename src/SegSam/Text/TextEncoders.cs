namespace SegSam.Text;

/// <summary>Builds a text encoder from a short spec, as given on a command line or in a config.</summary>
public static class TextEncoders
{
    public const string SpecHelp =
        "\"hashing\" (offline, 256 dimensions), \"hashing:N\" (N dimensions), \"clip:WEIGHTS\" (CLIP's text tower from a CLIP checkpoint) or \"openai:MODEL@ENDPOINT\" (an OpenAI-compatible embeddings endpoint, e.g. openai:text-embedding-3-small@https://api.openai.com/v1)";

    /// <summary>
    /// "hashing" / "hashing:512" → <see cref="HashingTextEncoder"/>; "clip:PATH" →
    /// <see cref="ClipTextEncoder"/>; "openai:MODEL@ENDPOINT" →
    /// <see cref="OpenAiEmbeddingEncoder"/> with its key from <paramref name="keyVariable"/>.
    /// Throws <see cref="ArgumentException"/> for anything else.
    /// </summary>
    public static ITextEncoder Create(string spec, string keyVariable = OpenAiClient.DefaultKeyVariable) => Parse(spec) switch
    {
        (Kind.Hashing, var dim, _) => dim is { } d ? new HashingTextEncoder(d) : new HashingTextEncoder(),
        (Kind.Clip, _, var path) => new ClipTextEncoder(path),
        (_, _, var rest) => new OpenAiEmbeddingEncoder(new OpenAiClient(rest[(rest.IndexOf('@') + 1)..], keyVariable), rest[..rest.IndexOf('@')]),
    };

    /// <summary>Checks a spec's form without building anything (no weights read, no endpoint asked); the same ArgumentException as <see cref="Create"/>.</summary>
    public static void Validate(string spec) => Parse(spec);

    enum Kind { Hashing, Clip, OpenAi }

    static (Kind Kind, int? Dimension, string Argument) Parse(string spec)
    {
        string s = spec.Trim();
        if (s.Equals("hashing", StringComparison.OrdinalIgnoreCase)) return (Kind.Hashing, null, "");
        if (s.StartsWith("hashing:", StringComparison.OrdinalIgnoreCase))
        {
            string n = s["hashing:".Length..];
            if (!int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int dim) || dim is < 1 or > 1 << 20)
                throw new ArgumentException($"text encoder '{spec}': the hashing dimension must be an integer in 1…1048576, got '{n}'");
            return (Kind.Hashing, dim, n);
        }
        if (s.StartsWith("clip:", StringComparison.OrdinalIgnoreCase))
        {
            string path = s["clip:".Length..];
            if (path.Length == 0) throw new ArgumentException($"text encoder '{spec}': expected clip:PATH to CLIP weights");
            return (Kind.Clip, null, path);
        }
        if (s.StartsWith("openai:", StringComparison.OrdinalIgnoreCase))
        {
            string rest = s["openai:".Length..];
            int at = rest.IndexOf('@');
            if (at <= 0 || at == rest.Length - 1)
                throw new ArgumentException($"text encoder '{spec}': expected openai:MODEL@ENDPOINT, e.g. openai:text-embedding-3-small@https://api.openai.com/v1");
            return (Kind.OpenAi, null, rest);
        }
        throw new ArgumentException($"unknown text encoder '{spec}'; use {SpecHelp}");
    }
}
