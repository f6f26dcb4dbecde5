namespace SegSam.Reporting;

/// <summary>A picture of the report (PNG bytes) with its caption and an optional second line.</summary>
public sealed record ReportFigure(byte[] Png, string Caption, string? Detail = null);
