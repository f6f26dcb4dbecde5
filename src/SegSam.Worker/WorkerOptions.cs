namespace SegSam.Worker;

/// <summary>
/// How a worker takes jobs: the broker, the queue names, how many jobs run at once (<see cref="Slots"/>,
/// also the prefetch: the broker hands it no more unacknowledged jobs than that), and how transient
/// failures are retried: up to <see cref="MaxAttempts"/> deliveries, waiting <see cref="RetryDelay"/>,
/// then twice as long each time, before the job is dead-lettered.
/// </summary>
public sealed record WorkerOptions(Uri Broker)
{
    public QueueTopology Topology { get; init; } = new();
    public int Slots { get; init; } = 1;
    public int MaxAttempts { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>AMQP heartbeat: a silent peer is taken as dead after about two of these.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The back-off before delivery <paramref name="attempt"/> + 1.</summary>
    public TimeSpan Backoff(int attempt) => RetryDelay * Math.Pow(2, Math.Max(0, attempt - 1));
}
