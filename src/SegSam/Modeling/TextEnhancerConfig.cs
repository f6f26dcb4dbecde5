using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>Text-to-vision semantic enhancement (T2VSE) of SEG-SAM.</summary>
public sealed record TextEnhancerConfig
{
    public bool Enabled { get; init; }
    /// <summary>Width of the category text embeddings (the text encoder's dimension).</summary>
    public int TextDim { get; init; } = 256;
    public int NumHeads { get; init; } = 8;
    /// <summary>Text encoder that produced the stored embeddings, e.g. "hashing:256".</summary>
    public string TextEncoder { get; init; } = "hashing:256";
}
