using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>Mask decoder and two-way transformer hyper-parameters.</summary>
public sealed record MaskDecoderConfig
{
    public int NumMultimaskOutputs { get; init; } = 3;
    public int TransformerDepth { get; init; } = 2;
    public int TransformerMlpDim { get; init; } = 2048;
    public int TransformerNumHeads { get; init; } = 8;
    public int IouHeadDepth { get; init; } = 3;
    public int IouHeadHiddenDim { get; init; } = 256;
}
