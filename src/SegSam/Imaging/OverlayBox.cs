namespace SegSam.Imaging;

/// <summary>A box prompt: inclusive pixel corners (X0, Y0) and (X1, Y1), as <c>SegSam.Inference.BoxPrompt</c> has them.</summary>
public readonly record struct OverlayBox(double X0, double Y0, double X1, double Y1);
