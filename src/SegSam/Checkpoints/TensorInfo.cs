namespace SegSam.Checkpoints;

/// <summary>Name, element type (e.g. "float32", "bfloat16") and shape of one tensor stored in a checkpoint.</summary>
public sealed record TensorInfo(string Name, string DType, long[] Shape)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    public override string ToString() => $"{Name}: {DType}[{string.Join(", ", Shape)}]";
}
