using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SegSam.Server;

/// <summary>
/// The jobs by random id. A job holds its volume's lease from submission to its end (so the
/// volume is not disposed under it) and goes through the <see cref="InferenceQueue"/> like any
/// model call; cancelling it (or stopping the server) cancels the token the library call watches,
/// and a cancelled job gives back its slot and lease.
/// </summary>
public sealed class JobRegistry
{
    readonly ConcurrentDictionary<string, Job> jobs = new(StringComparer.Ordinal);
    readonly InferenceQueue queue;
    readonly ServerOptions options;
    readonly ILogger log;

    public JobRegistry(InferenceQueue queue, ServerOptions options, ILoggerFactory logs, IHostApplicationLifetime lifetime)
    {
        this.queue = queue;
        this.options = options;
        log = logs.CreateLogger("SegSam.Server.Jobs");
        // A job may run for minutes; stopping should not wait for it.
        lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var job in jobs.Values) job.Cancellation.Cancel();
        });
    }

    /// <summary>
    /// Queues <paramref name="work"/> on <paramref name="lease"/>'s volume as a job of <paramref name="kind"/>;
    /// 429 or 503 when the queue refuses it (the lease is then released). The job owns the lease from here on.
    /// </summary>
    public Job Start(string kind, VolumeLease lease, Func<IProgress<(int Done, int Total)>, CancellationToken, object> work)
    {
        try
        {
            queue.Admit();
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        var job = new Job(Guid.NewGuid().ToString("N"), kind, lease.Entry.Id);
        jobs[job.Id] = job;
        _ = Task.Run(() => Run(job, lease, work));
        return job;
    }

    async Task Run(Job job, VolumeLease lease, Func<IProgress<(int Done, int Total)>, CancellationToken, object> work)
    {
        var cancel = job.Cancellation.Token;
        try
        {
            object result;
            // The slot and the lease are given back before the job reads as finished, so a client that sees it finished may reuse both.
            using (lease)
            using (await queue.AdmittedAsync(job: true, cancel).ConfigureAwait(false))
            {
                job.Start();
                result = work(new JobProgress(job), cancel);
            }
            job.Finish(result);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            job.Cancel();
        }
        catch (Exception e)
        {
            var (status, detail) = Problems.Of(e);
            if (status == StatusCodes.Status500InternalServerError) log.LogError(e, "job {Id} ({Kind}) failed", job.Id, job.Kind);
            job.Fail(detail);
        }
    }

    /// <summary>Cancels the unfinished jobs on volume <paramref name="volumeId"/> (it was closed: nobody can use their results).</summary>
    public void CancelFor(string volumeId)
    {
        foreach (var job in jobs.Values)
            if (job.VolumeId == volumeId && !job.IsFinished) job.Cancellation.Cancel();
    }

    /// <summary>The job <paramref name="id"/>; 404 when unknown or forgotten.</summary>
    public Job Get(string id) =>
        jobs.TryGetValue(id, out var job) ? job : throw new ApiProblem(StatusCodes.Status404NotFound, $"no job '{id}'");

    /// <summary>Forgets jobs finished before <paramref name="now"/> − TTL; returns how many.</summary>
    public int Expire(DateTime now)
    {
        int removed = 0;
        foreach (var (id, job) in jobs)
            if (job.FinishedAt is { } end && now - end > options.SessionTtl && jobs.TryRemove(id, out _)) removed++;
        return removed;
    }

    /// <summary>Reports the library's (done, total) as the job's progress, on the calling thread.</summary>
    sealed class JobProgress(Job job) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => job.Report(value.Done, value.Total);
    }
}
