using System.CommandLine;
using SegSam.Modeling;

namespace SegSam.Cli.Commands;

/// <summary>`--precision fp32|bf16`: the number format of the image encoder, for the commands that run a model.</summary>
public static class PrecisionOption
{
    public static Option<string?> Create() => new("--precision")
    {
        Description = "The image encoder's number format: fp32 (default) or bf16 (bfloat16 weights and activations; faster on CPUs with bf16 instructions, masks agree closely — see README's speed section)",
    };

    /// <summary>The parsed value; absent means float32.</summary>
    public static EncoderPrecision Value(string? text) =>
        text is null ? EncoderPrecision.Float32 : ValueParsing.LibraryCall(() => EncoderPrecisions.Parse(text), "--precision");
}
