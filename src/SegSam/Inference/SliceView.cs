namespace SegSam.Inference;

/// <summary>
/// One slice of a session's volume as viewers show it (rows from anterior/superior down, columns
/// from the patient's right): H×W values on the prepared 0–255 scale, and the size of a pixel in mm.
/// </summary>
public sealed record SliceView(int Axis, int Index, int Height, int Width, float[] Pixels, double PixelWidthMm, double PixelHeightMm)
{
    public double PixelAreaMm2 => PixelWidthMm * PixelHeightMm;
}
