namespace SegSam.Inference;

/// <summary>
/// One prompt's result in managed memory: M mask logits at the original size (M×H×W),
/// M predicted IoUs and M low-resolution logits (M×h×w) to feed back as a mask prompt.
/// </summary>
public sealed class SamPrediction
{
    public int Count { get; }
    public int Height { get; }
    public int Width { get; }
    public float[] Logits { get; }
    public float[] Iou { get; }
    public int LowResHeight { get; }
    public int LowResWidth { get; }
    public float[] LowResLogits { get; }

    public SamPrediction(int count, int height, int width, float[] logits, float[] iou, int lowResHeight, int lowResWidth, float[] lowResLogits)
    {
        Count = count;
        Height = height;
        Width = width;
        Logits = logits;
        Iou = iou;
        LowResHeight = lowResHeight;
        LowResWidth = lowResWidth;
        LowResLogits = lowResLogits;
    }

    /// <summary>Index of the mask with the highest predicted IoU.</summary>
    public int BestIndex => Array.IndexOf(Iou, Iou.Max());

    /// <summary>Mask <paramref name="index"/> thresholded at logit 0: 1 = object, 0 = background.</summary>
    public byte[] Mask(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index));
        int n = Height * Width;
        var mask = new byte[n];
        for (int i = 0; i < n; i++) mask[i] = Logits[index * n + i] > Modeling.SamModel.MaskThreshold ? (byte)1 : (byte)0;
        return mask;
    }

    /// <summary>Low-resolution logits of mask <paramref name="index"/>, ready to be the next prompt's mask input.</summary>
    public float[] LowRes(int index) => LowResLogits.AsSpan(index * LowResHeight * LowResWidth, LowResHeight * LowResWidth).ToArray();
}
