using System.Text.Json;

namespace SegSam.Batch;

/// <summary>
/// The result event a worker publishes for a job (docs/scale-out.md), versioned JSON like the job:
/// <see cref="Done"/> with the files and per-label volumes, <see cref="Failed"/> with the clean error
/// message of bad input (never retried), or <see cref="DeadLettered"/> with the reason the job went to
/// the dead-letter queue.
/// </summary>
public sealed record JobResult
{
    public const string Done = "done";
    public const string Failed = "failed";
    public const string DeadLettered = "dead-lettered";

    public int Version { get; init; } = SegmentationJob.CurrentVersion;
    public required string JobId { get; init; }
    public required string Status { get; init; }
    public string? OutputDir { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
    public IReadOnlyList<JobLabelVolume> Labels { get; init; } = [];
    public JobTimings? Timings { get; init; }
    public string? Error { get; init; }

    /// <summary>A job with store: the SOP Instance UIDs the PACS confirmed storing.</summary>
    public IReadOnlyList<string>? Stored { get; init; }

    /// <summary>Which delivery of the job this was (1 = first; retries after transient failures count up).</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>host:pid of the worker.</summary>
    public string? Worker { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, SegmentationJob.Json);

    /// <summary>Reads a result event; a malformed one is an <see cref="InvalidDataException"/>.</summary>
    public static JobResult Parse(ReadOnlySpan<byte> message)
    {
        try
        {
            return JsonSerializer.Deserialize<JobResult>(message, SegmentationJob.Json) ?? throw new InvalidDataException("result message: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"result message: not valid JSON: {e.Message}", e);
        }
    }
}
