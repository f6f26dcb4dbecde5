namespace SegSam.Server;

/// <summary>
/// An error the API answers with its own status (problem+json), its message shown as the detail;
/// <see cref="RetryAfterSeconds"/> becomes a Retry-After header (429: the queue is full).
/// </summary>
public sealed class ApiProblem(int status, string message, int? retryAfterSeconds = null) : Exception(message)
{
    public int Status { get; } = status;

    public int? RetryAfterSeconds { get; } = retryAfterSeconds;
}
