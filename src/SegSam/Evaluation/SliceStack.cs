namespace SegSam.Evaluation;

/// <summary>
/// Reassembles per-slice 2D label predictions into a D×H×W volume on the case's grid, slice z
/// of the list becoming plane z. A prediction made at another size (the model's, e.g. 224×224)
/// is brought to H×W as TransUNet's <c>test_single_volume</c> does (PG-SAM's evaluation too):
/// <c>scipy.ndimage.zoom(out, (H / h, W / w), order=0)</c>, i.e. output row r reads input row
/// ⌊r·(h − 1)/(H − 1) + ½⌋ (scipy's corner-aligned mapping and order-0 rounding), columns alike.
/// </summary>
public static class SliceStack
{
    /// <summary>
    /// Stacks <paramref name="slices"/> (each sliceHeight×sliceWidth, row-major) into a
    /// slices.Count×<paramref name="height"/>×<paramref name="width"/> volume, resizing each slice
    /// by nearest neighbour as above when its size differs.
    /// </summary>
    public static int[] Assemble(IReadOnlyList<int[]> slices, int sliceHeight, int sliceWidth, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("no slices to stack", nameof(slices));
        if (sliceHeight < 1 || sliceWidth < 1 || height < 1 || width < 1)
            throw new ArgumentException($"sizes must be positive: slices {sliceHeight}×{sliceWidth}, volume {height}×{width}");
        long plane = (long)height * width;
        if (plane * slices.Count > Array.MaxLength)
            throw new ArgumentException($"a {slices.Count}×{height}×{width} volume exceeds the largest array");

        int[] rows = SourceIndices(sliceHeight, height), cols = SourceIndices(sliceWidth, width);
        var volume = new int[plane * slices.Count];
        for (int z = 0; z < slices.Count; z++)
        {
            var slice = slices[z] ?? throw new ArgumentException($"slice {z} is null", nameof(slices));
            if (slice.Length != sliceHeight * sliceWidth)
                throw new ArgumentException($"slice {z} has {slice.Length} values, not {sliceHeight}×{sliceWidth}", nameof(slices));
            var target = volume.AsSpan((int)(z * plane), (int)plane);
            for (int r = 0; r < height; r++)
            {
                var source = slice.AsSpan(rows[r] * sliceWidth, sliceWidth);
                var row = target.Slice(r * width, width);
                for (int c = 0; c < width; c++) row[c] = source[cols[c]];
            }
        }
        return volume;
    }

    /// <summary>Slices already on the case's H×W grid.</summary>
    public static int[] Assemble(IReadOnlyList<int[]> slices, int height, int width) =>
        Assemble(slices, height, width, height, width);

    /// <summary>
    /// For each of <paramref name="output"/> positions, the input position scipy's zoom with
    /// order 0 reads: ⌊k·(in − 1)/(out − 1) + ½⌋ (same double arithmetic as scipy; a one-wide
    /// output reads position 0).
    /// </summary>
    internal static int[] SourceIndices(int input, int output)
    {
        double step = output > 1 ? (double)(input - 1) / (output - 1) : 1;
        var indices = new int[output];
        for (int k = 0; k < output; k++)
            indices[k] = Math.Min(input - 1, (int)Math.Floor(k * step + 0.5));
        return indices;
    }
}
