namespace SegSam.Data;

/// <summary>A box in pixel coordinates of the original image, corners (X0, Y0) and (X1, Y1).</summary>
public readonly record struct BoxPrompt(double X0, double Y0, double X1, double Y1);
