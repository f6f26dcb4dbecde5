namespace SegSam.Cli;

/// <summary>A command-line mistake the user can fix; reported without a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
