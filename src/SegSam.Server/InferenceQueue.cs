using Microsoft.Extensions.Hosting;

namespace SegSam.Server;

/// <summary>
/// The bounded queue every model call goes through: prompts and refinements, and the propagate
/// and segment-all jobs. <see cref="ServerOptions.InferenceSlots"/> calls run at once (default 2),
/// at most <see cref="ServerOptions.MaxQueuedInferences"/> wait; one more is answered 429 with
/// Retry-After, and once the application is stopping new model work is answered 503.
/// <para>
/// Why 2 slots: libtorch's intra-op threads already spread one forward pass over every core, and
/// calls on one session run one at a time while every model call holds that model's lock
/// (<see cref="SegSam.Inference.SegmentationSession"/>), so sessions sharing a model take turns
/// anyway. More slots would not run more work; they would only park requests inside the library
/// (each holding its slice and tensors) where the queue bound cannot see them. One slot is not
/// enough because a job runs for seconds to minutes: jobs may hold at most slots − 1 of them, so
/// a prompt always finds a slot (and propagation takes the model's lock slice by slice, so the
/// prompt interleaves with it).
/// </para>
/// </summary>
public sealed class InferenceQueue : IDisposable
{
    readonly SemaphoreSlim slots;
    readonly SemaphoreSlim jobSlots;
    readonly int slotCount;
    readonly int maxWaiting;
    int admitted; // waiting or running
    volatile bool stopping;

    public InferenceQueue(ServerOptions options, IHostApplicationLifetime lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InferenceSlots, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxQueuedInferences);
        slotCount = options.InferenceSlots;
        maxWaiting = options.MaxQueuedInferences;
        slots = new SemaphoreSlim(slotCount, slotCount);
        int forJobs = Math.Max(1, slotCount - 1);
        jobSlots = new SemaphoreSlim(forJobs, forJobs);
        lifetime.ApplicationStopping.Register(() => stopping = true);
    }

    /// <summary>Model calls running now.</summary>
    public int Running => slotCount - slots.CurrentCount;

    /// <summary>Model calls (requests and queued jobs) waiting for a slot.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref admitted) - Running);

    /// <summary>
    /// Waits for a slot for a request; dispose the answer to free it. A cancelled
    /// <paramref name="cancel"/> (the client went away) leaves the queue without a slot.
    /// </summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancel)
    {
        Admit();
        return await AdmittedAsync(job: false, cancel).ConfigureAwait(false);
    }

    /// <summary>Takes a free slot's or a waiting place, or answers 503 (stopping) or 429 (full); <see cref="AdmittedAsync"/> must follow.</summary>
    internal void Admit()
    {
        if (stopping) throw new ApiProblem(StatusCodes.Status503ServiceUnavailable, "the server is shutting down: no new model work is accepted");
        if (Interlocked.Increment(ref admitted) > slotCount + maxWaiting)
        {
            Interlocked.Decrement(ref admitted);
            throw new ApiProblem(StatusCodes.Status429TooManyRequests,
                $"the inference queue is full ({slotCount} running, {maxWaiting} waiting); try again shortly", retryAfterSeconds: 1);
        }
    }

    /// <summary>Waits, after <see cref="Admit"/>, for a slot (a job also for one of the job slots).</summary>
    internal async Task<IDisposable> AdmittedAsync(bool job, CancellationToken cancel)
    {
        bool jobSlot = false;
        try
        {
            if (job)
            {
                await jobSlots.WaitAsync(cancel).ConfigureAwait(false);
                jobSlot = true;
            }
            await slots.WaitAsync(cancel).ConfigureAwait(false);
            return new Slot(this, jobSlot);
        }
        catch
        {
            if (jobSlot) jobSlots.Release();
            Interlocked.Decrement(ref admitted);
            throw;
        }
    }

    public void Dispose()
    {
        slots.Dispose();
        jobSlots.Dispose();
    }

    sealed class Slot(InferenceQueue queue, bool jobSlot) : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) != 0) return;
            Interlocked.Decrement(ref queue.admitted);
            queue.slots.Release();
            if (jobSlot) queue.jobSlots.Release();
        }
    }
}
