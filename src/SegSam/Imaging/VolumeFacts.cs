namespace SegSam.Imaging;

/// <summary>The grid, geometry and value range of a loaded volume.</summary>
public sealed record VolumeFacts(int[] Dims, double[] Spacing, double[][] Affine, string Orientation, string DataType, double Min, double Max, double Mean)
{
    public static VolumeFacts Of(Volume v)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (float x in v.Data)
        {
            if (x < min) min = x;
            if (x > max) max = x;
            sum += x;
        }
        var affine = Enumerable.Range(0, 4).Select(r => Enumerable.Range(0, 4).Select(c => v.Affine[r, c]).ToArray()).ToArray();
        return new VolumeFacts(v.Dims.ToArray(), v.Spacing, affine, Imaging.Orientation.AxisCodes(v.Affine), v.SourceDataType,
            min, max, sum / v.VoxelCount);
    }
}
