using SegSam.Modeling;

namespace SegSam.Text;

/// <summary>Builds a text encoder from a short spec, as given on a command line or in a config.</summary>
public static class TextEncoders
{
    public const string SpecHelp = TextEncoderSpec.Help;

    /// <summary>
    /// "hashing" / "hashing:512" → <see cref="HashingTextEncoder"/>; "clip:PATH" →
    /// <see cref="ClipTextEncoder"/>; "openai:MODEL@ENDPOINT" →
    /// <see cref="OpenAiEmbeddingEncoder"/> with its key from <paramref name="keyVariable"/>.
    /// Throws <see cref="ArgumentException"/> for anything else.
    /// </summary>
    public static ITextEncoder Create(string spec, string keyVariable = OpenAiClient.DefaultKeyVariable) => TextEncoderSpec.Parse(spec) switch
    {
        (TextEncoderSpec.Kind.Hashing, var dim, _) => dim is { } d ? new HashingTextEncoder(d) : new HashingTextEncoder(),
        (TextEncoderSpec.Kind.Clip, _, var path) => new ClipTextEncoder(path),
        (_, _, var rest) => new OpenAiEmbeddingEncoder(new OpenAiClient(rest[(rest.IndexOf('@') + 1)..], keyVariable), rest[..rest.IndexOf('@')]),
    };
}
