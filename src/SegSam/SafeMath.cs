using TorchSharp;
using static TorchSharp.torch;

namespace SegSam;

/// <summary>
/// Tensor arithmetic that never leaves a TorchSharp <see cref="Scalar"/> to the finalizer.
/// TorchSharp 0.107 turns numbers into temporary Scalars (and <c>a + b</c> into
/// <c>add(b, alpha: 1)</c>) that become unreachable as soon as their native handle is read; a
/// garbage collection during the native call can then free the scalar while libtorch reads it,
/// which ended a benchmark run with "Expected false to be true … Scalar.h". Here every Scalar is
/// either rooted for the process lifetime or disposed after the call that uses it. The
/// SEGSAM001 analyzer (build/SegSam.Analyzers) rejects the unsafe forms at compile time.
/// </summary>
internal static class SafeMath
{
    static readonly Scalar Zero = 0.ToScalar();
    static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    public static Tensor Plus(this Tensor a, double value) => With(value, s => a.add(s, One));
    public static Tensor PlusInPlace(this Tensor a, double value) => With(value, s => a.add_(s, One));
    public static Tensor Minus(this Tensor a, double value) => With(value, s => a.sub(s));
    public static Tensor Times(this Tensor a, double value) => With(value, s => a.mul(s));
    public static Tensor TimesInPlace(this Tensor a, double value) => With(value, s => a.mul_(s));
    public static Tensor Over(this Tensor a, double value) => With(value, s => a.div(s));
    public static Tensor Pow(this Tensor a, double exponent) => With(exponent, s => a.pow(s));
    public static Tensor ClampMin(this Tensor a, double min) => With(min, s => a.clamp_min(s));
    public static Tensor EqualTo(this Tensor a, double value) => With(value, s => a.eq(s));
    public static Tensor GreaterThan(this Tensor a, double value) => With(value, s => a.gt(s));

    public static Tensor Clamped(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>A tensor of the given shape filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType dtype, Device? device = null) =>
        With(value, s => full(shape, s, dtype, device));

    /// <summary>0, 1, …, count − 1.</summary>
    public static Tensor Range(long count, ScalarType dtype, Device? device = null)
    {
        using var stop = count.ToScalar();
        return arange(Zero, stop, One, dtype, device);
    }

    static Tensor With(double value, Func<Scalar, Tensor> op)
    {
        using var scalar = value.ToScalar();
        return op(scalar);
    }
}
