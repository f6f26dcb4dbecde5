namespace SegSam.Batch;

/// <summary>Where a job's time went, in milliseconds: loading the model (0 when the worker had it), the segmentation with its export, and the whole run.</summary>
public sealed record JobTimings(double ModelLoadMs, double SegmentMs, double TotalMs);
