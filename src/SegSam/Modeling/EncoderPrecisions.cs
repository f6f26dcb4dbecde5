namespace SegSam.Modeling;

/// <summary>The names of <see cref="EncoderPrecision"/> on command lines and in requests.</summary>
public static class EncoderPrecisions
{
    public const string Float32Name = "fp32";
    public const string BFloat16Name = "bf16";

    public static IReadOnlyList<string> Names { get; } = [Float32Name, BFloat16Name];

    /// <summary>"fp32"/"float32" or "bf16"/"bfloat16", any case.</summary>
    public static EncoderPrecision Parse(string name) => name.ToLowerInvariant() switch
    {
        Float32Name or "float32" => EncoderPrecision.Float32,
        BFloat16Name or "bfloat16" => EncoderPrecision.BFloat16,
        _ => throw new ArgumentException($"unknown precision '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
    };

    public static string Name(EncoderPrecision precision) => precision == EncoderPrecision.BFloat16 ? BFloat16Name : Float32Name;
}
