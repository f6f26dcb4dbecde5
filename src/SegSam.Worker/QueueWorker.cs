using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using SegSam.Batch;

namespace SegSam.Worker;

/// <summary>
/// `segsam worker`: consumes segmentation jobs from the broker and runs them with a
/// <see cref="JobRunner"/> (docs/scale-out.md). Delivery is at least once: a job is acknowledged only
/// after its result event is confirmed by the broker, so a worker that dies mid-job leaves it to be
/// redelivered, and the job's outputs are idempotent, so running it twice is harmless.
/// <list type="bullet">
/// <item>done / failed (bad input, never retried): result published with a publisher confirm, then ack;</item>
/// <item>transient failure: the job is re-published to the retry queue with a growing TTL and its attempt count, then acked;
///   after <see cref="WorkerOptions.MaxAttempts"/> deliveries it goes to the dead-letter queue with the reason;</item>
/// <item>a malformed message: dead-lettered at once with the reason;</item>
/// <item>stop (SIGTERM): no new deliveries; the running jobs finish and are acked; deliveries not started are requeued.</item>
/// </list>
/// </summary>
public sealed class QueueWorker(JobRunner runner, WorkerOptions options, TextWriter log)
{
    readonly string name = $"{Environment.MachineName}:{Environment.ProcessId}";
    int running;
    readonly TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile bool stopping;

    /// <summary>Runs until <paramref name="stop"/> fires, then finishes the jobs in hand and returns.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (options.Slots is < 1 or > 64) throw new ArgumentException($"slots must be 1..64, got {options.Slots}");
        var factory = BrokerConnection.Factory(options.Broker, options.Heartbeat, (ushort)options.Slots);
        IConnection connection;
        try
        {
            connection = await BrokerConnection.ConnectAsync(factory, $"segsam worker {name}", log, null, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await using var _ = connection;
        connection.ConnectionShutdownAsync += (_, e) => Log($"connection lost ({e.ReplyText}); reconnecting");
        connection.RecoverySucceededAsync += (_, _) => Log("reconnected");
        connection.ConnectionRecoveryErrorAsync += (_, e) => Log($"reconnect failed ({e.Exception.Message}); trying again");
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, consumerDispatchConcurrency: (ushort)options.Slots), CancellationToken.None);
        await using var __ = channel;
        await options.Topology.DeclareAsync(channel, CancellationToken.None);
        await channel.BasicQosAsync(0, (ushort)options.Slots, false, CancellationToken.None);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, delivery);
        string tag = await channel.BasicConsumeAsync(options.Topology.Jobs, autoAck: false, consumer, CancellationToken.None);
        await Log($"worker {name} ready: queue {options.Topology.Jobs} on {BrokerConnection.Endpoint(factory)}, {options.Slots} slot(s)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }
        stopping = true;
        await Log("stopping: finishing the jobs in hand");
        try
        {
            await channel.BasicCancelAsync(tag, false, CancellationToken.None);
        }
        catch (Exception e) when (IsBrokerTrouble(e))
        {
            // Without a connection nothing more is delivered anyway.
        }
        if (Interlocked.CompareExchange(ref running, 0, 0) > 0) await idle.Task;
        try
        {
            await channel.CloseAsync();
            await connection.CloseAsync();
        }
        catch (Exception e) when (IsBrokerTrouble(e))
        {
        }
        await Log("stopped");
    }

    async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref running);
        ulong tag = delivery.DeliveryTag;
        try
        {
            if (stopping)
            {
                await channel.BasicNackAsync(tag, false, requeue: true);
                return;
            }
            byte[] body = delivery.Body.ToArray();
            var properties = delivery.BasicProperties;
            int attempt = (int)Math.Max(1, QueueTopology.NumberHeader(properties, QueueTopology.AttemptHeader) ?? 1);
            SegmentationJob job;
            try
            {
                job = SegmentationJob.Parse(body);
            }
            catch (InvalidDataException e)
            {
                await Log($"message {properties.MessageId ?? "(no id)"} malformed, dead-lettered: {e.Message}");
                await DeadLetterAsync(channel, body, properties, e.Message, attempt, null);
                await channel.BasicAckAsync(tag, false);
                return;
            }
            await Log($"job {job.JobId} started (attempt {attempt}{(delivery.Redelivered ? ", redelivered" : "")})");
            JobResult result;
            try
            {
                result = await Task.Run(() => runner.Run(job, attempt, name));
            }
            catch (TransientJobException e)
            {
                if (attempt < options.MaxAttempts)
                {
                    var wait = options.Backoff(attempt);
                    await PublishAsync(channel, options.Topology.Retry, body, job.JobId, attempt + 1, expiration: wait, error: e.Message);
                    await channel.BasicAckAsync(tag, false);
                    await Log($"job {job.JobId} attempt {attempt} failed ({e.Message}); retry in {wait.TotalSeconds:F1} s");
                }
                else
                {
                    await DeadLetterAsync(channel, body, properties, $"gave up after {attempt} attempts: {e.Message}", attempt, job.JobId);
                    await channel.BasicAckAsync(tag, false);
                    await Log($"job {job.JobId} dead-lettered after {attempt} attempts: {e.Message}");
                }
                return;
            }
            await PublishResultAsync(channel, result);
            await channel.BasicAckAsync(tag, false);
            await Log($"job {job.JobId} {result.Status}{(result.Error is { } error ? $": {error}" : "")}" +
                      (result.Timings is { } t ? string.Create(CultureInfo.InvariantCulture, $" in {t.TotalMs / 1000:F2} s") : ""));
        }
        catch (Exception e) when (IsBrokerTrouble(e))
        {
            // The result or the ack did not reach the broker: the job stays unacknowledged and is
            // delivered again (to this worker after it reconnects, or another); its outputs are idempotent.
            await Log($"delivery {tag} not settled ({e.GetType().Name}: {e.Message}); the broker will redeliver it");
        }
        finally
        {
            if (Interlocked.Decrement(ref running) == 0 && stopping) idle.TrySetResult();
        }
    }

    async Task DeadLetterAsync(IChannel channel, byte[] body, IReadOnlyBasicProperties original, string reason, int attempt, string? jobId)
    {
        await PublishAsync(channel, options.Topology.Dead, body, jobId ?? original.MessageId, attempt, expiration: null, error: reason);
        if (jobId is not null)
            await PublishResultAsync(channel, new JobResult { JobId = jobId, Status = JobResult.DeadLettered, Error = reason, Attempt = attempt, Worker = name });
    }

    async Task PublishAsync(IChannel channel, string queue, byte[] body, string? messageId, int attempt, TimeSpan? expiration, string? error)
    {
        var headers = new Dictionary<string, object?> { [QueueTopology.AttemptHeader] = attempt };
        if (error is not null) headers[QueueTopology.ErrorHeader] = error;
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = messageId,
            Headers = headers,
            Expiration = expiration is { } e ? ((long)e.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : null,
        };
        // With confirmation tracking the call returns once the broker has the message (it throws when it does not).
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
    }

    async Task PublishResultAsync(IChannel channel, JobResult result)
    {
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = result.JobId, CorrelationId = result.JobId };
        await channel.BasicPublishAsync(options.Topology.Results, "", mandatory: true, properties, result.ToJson());
    }

    internal static bool IsBrokerTrouble(Exception e) => e is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException
        or RabbitMQ.Client.Exceptions.PublishException or IOException or ObjectDisposedException or TimeoutException or OperationCanceledException;

    Task Log(string line)
    {
        lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        return Task.CompletedTask;
    }
}
