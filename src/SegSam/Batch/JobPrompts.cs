namespace SegSam.Batch;

/// <summary>
/// The prompts of a "prompted" job (SEG-SAM), all in pixels of the prompted slice as `segsam segment`
/// takes them: each box is one object, all points together one more. Also the shape of a
/// `segsam submit --prompts FILE` entry.
/// </summary>
public sealed record JobPrompts
{
    /// <summary>AXIS:INDEX (axial|coronal|sagittal), default the middle axial slice.</summary>
    public string? Slice { get; init; }

    /// <summary>[x0, y0, x1, y1] per object (inclusive corners).</summary>
    public IReadOnlyList<double[]> Boxes { get; init; } = [];

    /// <summary>[x, y, label] with label 1 (object) or 0 (background); all points are one object.</summary>
    public IReadOnlyList<double[]> Points { get; init; } = [];

    /// <summary>Follow each object through the volume.</summary>
    public bool Propagate { get; init; }

    /// <summary>Answer each prompt on the slice and on its mirror, averaged (test-time mirroring, <see cref="Inference.SegmentationRequest.TestTimeMirroring"/>); null: as the model's config says.</summary>
    public bool? Mirror { get; init; }

    /// <summary>[first, last] slices propagation may reach (inclusive).</summary>
    public int[]? Range { get; init; }
}
