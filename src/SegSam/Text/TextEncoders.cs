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
    public static ITextEncoder Create(string spec, string keyVariable = OpenAiClient.DefaultKeyVariable)
    {
        string s = spec.Trim();
        if (s.Equals("hashing", StringComparison.OrdinalIgnoreCase)) return new HashingTextEncoder();
        if (s.StartsWith("hashing:", StringComparison.OrdinalIgnoreCase))
        {
            string n = s["hashing:".Length..];
            if (!int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int dim) || dim is < 1 or > 1 << 20)
                throw new ArgumentException($"text encoder '{spec}': the hashing dimension must be an integer in 1…1048576, got '{n}'");
            return new HashingTextEncoder(dim);
        }
        if (s.StartsWith("clip:", StringComparison.OrdinalIgnoreCase))
        {
            string path = s["clip:".Length..];
            if (path.Length == 0) throw new ArgumentException($"text encoder '{spec}': expected clip:PATH to CLIP weights");
            return new ClipTextEncoder(path);
        }
        if (s.StartsWith("openai:", StringComparison.OrdinalIgnoreCase))
        {
            string rest = s["openai:".Length..];
            int at = rest.IndexOf('@');
            if (at <= 0 || at == rest.Length - 1)
                throw new ArgumentException($"text encoder '{spec}': expected openai:MODEL@ENDPOINT, e.g. openai:text-embedding-3-small@https://api.openai.com/v1");
            return new OpenAiEmbeddingEncoder(new OpenAiClient(rest[(at + 1)..], keyVariable), rest[..at]);
        }
        throw new ArgumentException($"unknown text encoder '{spec}'; use {SpecHelp}");
    }
}
