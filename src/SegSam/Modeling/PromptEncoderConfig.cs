using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>Prompt encoder hyper-parameters (the image embedding size follows from the encoder).</summary>
public sealed record PromptEncoderConfig
{
    public int EmbedDim { get; init; } = 256;
    public int MaskInChans { get; init; } = 16;
}
