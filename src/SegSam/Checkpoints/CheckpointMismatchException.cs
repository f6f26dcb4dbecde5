namespace SegSam.Checkpoints;

/// <summary>A checkpoint's tensors do not fit the model it is loaded into.</summary>
public sealed class CheckpointMismatchException(string source, LoadReport report)
    : Exception($"{source}: checkpoint does not match the model{Environment.NewLine}{report.Describe()}")
{
    public LoadReport Report { get; } = report;
}
