namespace SegSam.Data;

/// <summary>
/// One prepared 2D training/evaluation sample: image intensities in [0, 255] (H×W, row-major)
/// and a label map of the same size where 0 is background and c ≥ 1 is category c − 1.
/// <see cref="Objects"/> adds class-agnostic objects (SAM's "anything"): maps of the same size
/// whose non-zero values are objects without a category; objects of different maps may overlap.
/// </summary>
public sealed record LabelledSlice(string Id, int Height, int Width, float[] Image, int[] Labels)
{
    /// <summary>Class-agnostic object maps (each H×W, 0 = no object, k ≥ 1 = object k of that map); none by default.</summary>
    public IReadOnlyList<int[]> Objects { get; init; } = [];

    /// <summary>Pixel count per label value present (background excluded).</summary>
    public Dictionary<int, int> LabelAreas() => AreasOf(Labels);

    /// <summary>The binary mask of one label value.</summary>
    public byte[] Mask(int label) => MaskOf(Labels, label);

    /// <summary>Pixel count per non-zero value of a label or object map.</summary>
    public static Dictionary<int, int> AreasOf(int[] map)
    {
        var areas = new Dictionary<int, int>();
        foreach (int l in map)
            if (l > 0) areas[l] = areas.GetValueOrDefault(l) + 1;
        return areas;
    }

    /// <summary>The binary mask of one value of a label or object map.</summary>
    public static byte[] MaskOf(int[] map, int value)
    {
        var mask = new byte[map.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = map[i] == value ? (byte)1 : (byte)0;
        return mask;
    }
}
