namespace SegSam.Imaging.Dicom;

/// <summary>Small 3-vector helpers for image-plane geometry.</summary>
internal static class Geometry
{
    public static double[] Cross(double[] a, double[] b) =>
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

    public static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    public static string Format(double[] v) =>
        "[" + string.Join(", ", v.Select(x => x.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
