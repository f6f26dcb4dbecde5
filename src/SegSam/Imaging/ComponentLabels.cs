namespace SegSam.Imaging;

/// <summary>The connected components of a binary mask.</summary>
public sealed class ComponentLabels
{
    readonly int[] sizes;

    internal ComponentLabels(int[] labels, int[] sizes)
    {
        Labels = labels;
        this.sizes = sizes;
    }

    /// <summary>Per voxel: 0 for background, else the component's label 1 … <see cref="Count"/>,
    /// numbered in row-major order of each component's first voxel (as scipy.ndimage.label).</summary>
    public int[] Labels { get; }

    public int Count => sizes.Length;

    /// <summary>Voxel counts; element k − 1 is label k.</summary>
    public IReadOnlyList<int> Sizes => sizes;

    /// <summary>The label of the largest component (the lowest label among equals), or 0 when the mask is empty.</summary>
    public int LargestLabel
    {
        get
        {
            int best = 0;
            for (int k = 1; k <= sizes.Length; k++)
                if (best == 0 || sizes[k - 1] > sizes[best - 1]) best = k;
            return best;
        }
    }

    /// <summary>A 0/1 mask of one component.</summary>
    public byte[] Mask(int label)
    {
        if (label < 1 || label > Count) throw new ArgumentOutOfRangeException(nameof(label), label, $"labels run from 1 to {Count}");
        var mask = new byte[Labels.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = Labels[i] == label ? (byte)1 : (byte)0;
        return mask;
    }
}
