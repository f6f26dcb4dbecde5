namespace SegSam.Cli;

/// <summary>The process exit codes documented in the README.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An unexpected internal error (a bug): please report it.</summary>
    public const int InternalError = 1;
    /// <summary>Bad command line: unknown or missing options, malformed or impossible prompts.</summary>
    public const int Usage = 2;
    /// <summary>Bad input data: a file is missing, unreadable, of the wrong format or shape.</summary>
    public const int InputError = 3;
}
