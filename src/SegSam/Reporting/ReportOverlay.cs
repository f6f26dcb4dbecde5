using SegSam.Evaluation;
using SegSam.Imaging;

namespace SegSam.Reporting;

/// <summary>One gallery picture: an overlay PNG (see <see cref="OverlayRenderer"/>) and the evaluation of the object it shows.</summary>
public sealed record ReportOverlay(byte[] Png, ObjectResult Result);
