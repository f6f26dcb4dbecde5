using SegSam.Imaging;

namespace SegSam.Inference;

/// <summary>A whole volume predicted by PG-SAM: class codes on the input's grid (0 background, c = category c − 1).</summary>
/// <param name="Labels">The label volume with the input's dimensions and affine.</param>
/// <param name="Axis">The axis the slices were cut across, on the RAS+ grid (0 sagittal, 1 coronal, 2 axial).</param>
/// <param name="SliceIds">The id of every slice, in slice order (see <see cref="Data.SliceAxis.SliceId"/>).</param>
public sealed record PgSamVolumePrediction(Volume Labels, int Axis, IReadOnlyList<string> SliceIds)
{
    /// <summary>Voxels of each class 0 … <paramref name="classCount"/> − 1.</summary>
    public long[] VoxelCounts(int classCount)
    {
        var counts = new long[classCount];
        foreach (float v in Labels.Data) counts[(int)v]++;
        return counts;
    }
}
