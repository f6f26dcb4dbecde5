namespace SegSam;

/// <summary>Shape formatting for error messages.</summary>
public static class Shapes
{
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
