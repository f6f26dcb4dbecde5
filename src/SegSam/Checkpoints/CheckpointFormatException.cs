namespace SegSam.Checkpoints;

/// <summary>
/// Thrown when a checkpoint file cannot be read because its contents are malformed, truncated,
/// of an unsupported format, or would require executing code (a disallowed pickle global).
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>The file the error refers to, when known.</summary>
    public string? FilePath { get; }

    public CheckpointFormatException(string message) : base(message) { }

    public CheckpointFormatException(string message, Exception? inner) : base(message, inner) { }

    public CheckpointFormatException(string filePath, string message, Exception? inner = null)
        : base($"{filePath}: {message}", inner)
    {
        FilePath = filePath;
    }
}
