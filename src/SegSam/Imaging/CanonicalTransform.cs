namespace SegSam.Imaging;

/// <summary>
/// The permutation and flips that take a volume's voxel grid to its closest RAS+ grid
/// (<see cref="Orientation.Canonical"/>), and back: <see cref="Restore"/> puts a volume computed
/// on the canonical grid (e.g. a prediction) onto the original grid with the original affine.
/// </summary>
public sealed class CanonicalTransform
{
    readonly (int WorldAxis, int Sign)[] mapping;
    readonly int[] originalDims;
    readonly double[,] originalAffine;

    internal CanonicalTransform(Volume original, (int WorldAxis, int Sign)[] mapping)
    {
        this.mapping = mapping;
        originalDims = [.. original.Dims];
        originalAffine = (double[,])original.Affine.Clone();
        CanonicalDims = new int[3];
        for (int i = 0; i < 3; i++) CanonicalDims[mapping[i].WorldAxis] = originalDims[i];
    }

    /// <summary>The original orientation, e.g. "LPS"; "RAS" when nothing moves.</summary>
    public string OriginalAxisCodes => Orientation.Codes(mapping);

    public bool IsIdentity => mapping.Select((m, i) => m.WorldAxis == i && m.Sign > 0).All(x => x);

    public int[] CanonicalDims { get; }

    /// <summary>The original volume's values on the canonical grid, with the matching affine.</summary>
    internal Volume Apply(Volume original)
    {
        CheckGrid(original, originalDims, "original");
        var data = new float[original.Data.Length];
        Walk((canonical, source) => data[canonical] = original.Data[source]);
        return new Volume([.. CanonicalDims], data, CanonicalAffine(), original.Source)
        {
            SourceDataType = original.SourceDataType,
        };
    }

    /// <summary>
    /// A volume on the canonical grid moved back to the original grid; the affine is the
    /// original one, bit for bit, so a prediction lands exactly on the input image.
    /// </summary>
    public Volume Restore(Volume onCanonicalGrid)
    {
        CheckGrid(onCanonicalGrid, CanonicalDims, "canonical");
        var data = new float[onCanonicalGrid.Data.Length];
        Walk((canonical, source) => data[source] = onCanonicalGrid.Data[canonical]);
        return new Volume([.. originalDims], data, (double[,])originalAffine.Clone(), onCanonicalGrid.Source)
        {
            SourceDataType = onCanonicalGrid.SourceDataType,
        };
    }

    /// <summary>
    /// Original affine times the voxel map canonical index → original index: original axis i
    /// reads canonical axis mapping[i].WorldAxis, reversed (n − 1 − index) when the sign is −1.
    /// </summary>
    double[,] CanonicalAffine()
    {
        var toOriginal = new double[4, 4];
        toOriginal[3, 3] = 1;
        for (int i = 0; i < 3; i++)
        {
            var (axis, sign) = mapping[i];
            toOriginal[i, axis] = sign;
            toOriginal[i, 3] = sign > 0 ? 0 : originalDims[i] - 1;
        }
        return AffineMath.Multiply(originalAffine, toOriginal);
    }

    /// <summary>Calls <paramref name="visit"/>(canonical index, original index) for every voxel.</summary>
    void Walk(Action<long, long> visit)
    {
        // Step in the original array per unit step along each canonical axis, and its start.
        long[] originalStride = [1, originalDims[0], (long)originalDims[0] * originalDims[1]];
        var step = new long[3];
        long start = 0;
        for (int i = 0; i < 3; i++)
        {
            var (axis, sign) = mapping[i];
            step[axis] = sign * originalStride[i];
            if (sign < 0) start += (originalDims[i] - 1) * originalStride[i];
        }
        long canonical = 0;
        for (int z = 0; z < CanonicalDims[2]; z++)
            for (int y = 0; y < CanonicalDims[1]; y++)
            {
                long source = start + z * step[2] + y * step[1];
                for (int x = 0; x < CanonicalDims[0]; x++, source += step[0]) visit(canonical++, source);
            }
    }

    static void CheckGrid(Volume v, int[] dims, string which)
    {
        if (!v.Dims.SequenceEqual(dims))
            throw new ArgumentException(
                $"{v.Source}: a {string.Join("×", v.Dims)} volume is not on the {which} grid {string.Join("×", dims)}");
    }
}
