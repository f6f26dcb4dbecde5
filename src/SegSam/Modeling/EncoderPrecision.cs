namespace SegSam.Modeling;

/// <summary>
/// The number format the image encoder computes in. The prompt encoder, the decoders and every
/// output stay float32; only the encoder's weights and activations change.
/// </summary>
public enum EncoderPrecision
{
    /// <summary>IEEE single precision, the reference's format and the default.</summary>
    Float32,

    /// <summary>
    /// bfloat16 weights and activations (8-bit mantissa): about half the weight memory, and
    /// libtorch's oneDNN kernels use the CPU's bf16 dot-product instructions where it has them
    /// (AVX512_BF16, AMX).
    /// </summary>
    BFloat16,
}
