namespace SegSam.Server;

/// <summary>
/// A long model call run in the background (propagate, segment-all): queued until the
/// <see cref="InferenceQueue"/> gives it a slot, then running with its progress, then done (with
/// its result), failed (with the library's message) or cancelled.
/// </summary>
public sealed class Job(string id, string kind, string volumeId)
{
    public const string Queued = "queued", RunningState = "running", Done = "done", Failed = "failed", Cancelled = "cancelled";

    readonly object gate = new();
    string state = Queued;
    double progress;
    string? error;
    object? result;

    public string Id { get; } = id;
    public string Kind { get; } = kind;
    public string VolumeId { get; } = volumeId;

    /// <summary>Cancelled by DELETE /jobs/{id} or when the server stops; passed into the library call.</summary>
    internal CancellationTokenSource Cancellation { get; } = new();

    /// <summary>When the job ended (null while queued or running); finished jobs are forgotten a TTL later.</summary>
    public DateTime? FinishedAt { get; private set; }

    public bool IsFinished
    {
        get { lock (gate) return state is Done or Failed or Cancelled; }
    }

    public JobView View()
    {
        lock (gate) return new JobView(Id, Kind, VolumeId, state, progress, error, result);
    }

    internal void Start() => Set(RunningState);

    internal void Report(int done, int total)
    {
        lock (gate) if (state == RunningState && total > 0) progress = Math.Clamp((double)done / total, 0, 1);
    }

    internal void Finish(object value) => Set(Done, value: value);

    internal void Fail(string message) => Set(Failed, message);

    internal void Cancel() => Set(Cancelled);

    void Set(string next, string? message = null, object? value = null)
    {
        lock (gate)
        {
            state = next;
            error = message;
            result = value;
            if (next == Done) progress = 1;
            if (next is Done or Failed or Cancelled) FinishedAt = DateTime.UtcNow;
        }
    }
}
