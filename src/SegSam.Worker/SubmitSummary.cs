using SegSam.Batch;

namespace SegSam.Worker;

/// <summary>
/// What `segsam submit` did: the jobs published and, when it waited, each job's first final result
/// (done, failed or dead-lettered; a job run twice reports twice, counted once). Jobs without a
/// result when the wait ended are <see cref="Pending"/>.
/// </summary>
public sealed record SubmitSummary(IReadOnlyList<string> JobIds, IReadOnlyDictionary<string, JobResult> Results)
{
    public int Done => Count(JobResult.Done);
    public int Failed => Count(JobResult.Failed);
    public int DeadLettered => Count(JobResult.DeadLettered);
    public int Pending => JobIds.Count - Results.Count;

    int Count(string status) => Results.Values.Count(r => r.Status == status);
}
