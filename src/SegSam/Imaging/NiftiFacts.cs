namespace SegSam.Imaging;

/// <summary>
/// NIfTI header facts beyond the grid: the xform codes and the intensity scaling. A slope or
/// intercept stored as NaN (which means "no scaling") is null here, so the facts are valid JSON.
/// </summary>
public sealed record NiftiFacts(int Version, int[] Dims, int QformCode, int SformCode, double? SclSlope, double? SclInter, bool IsScaled, string Description)
{
    public static NiftiFacts Of(NiftiImage n) =>
        new(n.Version, n.Dims, n.QformCode, n.SformCode, Finite(n.SclSlope), Finite(n.SclInter), n.IsScaled, n.Description);

    static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
