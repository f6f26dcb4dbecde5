namespace SegSam.Tests.Support;

/// <summary>Floats equal within a tolerance: absolute, or relative to the expected value's size (at least 1).</summary>
public sealed class FloatTolerance(float tolerance, bool relative = false) : IEqualityComparer<float>
{
    public bool Equals(float expected, float actual) => Math.Abs(expected - actual) <= tolerance * (relative ? Math.Max(1, Math.Abs(expected)) : 1);
    public int GetHashCode(float value) => 0;
}
