using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>The semantic-aware decoder (SAWD) of SEG-SAM.</summary>
public sealed record SemanticDecoderConfig
{
    public bool Enabled { get; init; } = true;
    public UnpromptedMode Unprompted { get; init; } = UnpromptedMode.Classify;
    public int TransformerDepth { get; init; } = 2;
    public int TransformerMlpDim { get; init; } = 2048;
    public int TransformerNumHeads { get; init; } = 8;
}
