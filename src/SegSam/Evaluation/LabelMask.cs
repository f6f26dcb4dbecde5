namespace SegSam.Evaluation;

/// <summary>Binary masks from label maps.</summary>
public static class LabelMask
{
    /// <summary>1 where <paramref name="labels"/> equals <paramref name="label"/>, else 0.</summary>
    public static byte[] Of(ReadOnlySpan<int> labels, int label)
    {
        var mask = new byte[labels.Length];
        for (int i = 0; i < labels.Length; i++) mask[i] = labels[i] == label ? (byte)1 : (byte)0;
        return mask;
    }
}
