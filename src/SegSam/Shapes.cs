namespace SegSam;

/// <summary>Shape formatting for error messages.</summary>
internal static class Shapes
{
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
