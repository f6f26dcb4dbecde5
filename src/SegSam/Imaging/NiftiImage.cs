namespace SegSam.Imaging;

/// <summary>
/// A NIfTI file as read: one 3D volume (scaled like nibabel's get_fdata, on nibabel's
/// <c>img.affine</c>) and the header facts that describe the whole file.
/// </summary>
public sealed class NiftiImage
{
    /// <summary>The volume read (for a 4D file, the one chosen by index); Source is the path.</summary>
    public required Volume Volume { get; init; }
    /// <summary>1 for NIfTI-1, 2 for NIfTI-2.</summary>
    public required int Version { get; init; }
    /// <summary>dim[1..dim[0]]: the full shape, including a 4th (time) dimension.</summary>
    public required int[] Dims { get; init; }
    /// <summary>Which volume along dim[4] <see cref="Volume"/> holds (0 for 3D files).</summary>
    public required int VolumeIndex { get; init; }
    /// <summary>On-disk voxel type: "uint8", "int16", "float32", ….</summary>
    public required string DataType { get; init; }
    /// <summary>pixdim[1..dim[0]] (voxel sizes, then the time step), as nibabel's header zooms.</summary>
    public required double[] PixDims { get; init; }
    public required double SclSlope { get; init; }
    public required double SclInter { get; init; }
    /// <summary>True when scl_slope/scl_inter were applied (slope finite and non-zero).</summary>
    public required bool IsScaled { get; init; }
    public required int QformCode { get; init; }
    public required int SformCode { get; init; }
    /// <summary>The quaternion affine; null when qform_code is 0.</summary>
    public required double[,]? QformAffine { get; init; }
    /// <summary>The srow affine; null when sform_code is 0.</summary>
    public required double[,]? SformAffine { get; init; }
    public required string Description { get; init; }
    public required bool BigEndian { get; init; }
    /// <summary>Smallest and largest value of <see cref="Volume"/> (after scaling).</summary>
    public required float Min { get; init; }
    public required float Max { get; init; }
}
