namespace SegSam.Modeling;

/// <summary>
/// The grammar of a text-encoder spec as configs store it ("hashing", "hashing:N", "clip:PATH",
/// "openai:MODEL@ENDPOINT"), here beside the configs so that validating one needs no text encoder;
/// SegSam.Text.TextEncoders builds the encoder from the parsed spec.
/// </summary>
internal static class TextEncoderSpec
{
    public const string Help =
        "\"hashing\" (offline, 256 dimensions), \"hashing:N\" (N dimensions), \"clip:WEIGHTS\" (CLIP's text tower from a CLIP checkpoint) or \"openai:MODEL@ENDPOINT\" (an OpenAI-compatible embeddings endpoint, e.g. openai:text-embedding-3-small@https://api.openai.com/v1)";

    public enum Kind { Hashing, Clip, OpenAi }

    public static (Kind Kind, int? Dimension, string Argument) Parse(string spec)
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
        throw new ArgumentException($"unknown text encoder '{spec}'; use {Help}");
    }
}
