namespace SegSam.Server;

/// <summary>An error the API answers with its own status (problem+json), its message shown as the detail.</summary>
public sealed class ApiProblem(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
