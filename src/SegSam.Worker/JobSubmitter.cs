using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using SegSam.Batch;

namespace SegSam.Worker;

/// <summary>
/// `segsam submit`: publishes jobs (persistent, each confirmed by the broker) and, when asked, waits
/// for their results. The wait reads a queue of its own bound to the results exchange, declared
/// before the first job is published so no result can be missed; the queue is durable (it survives a
/// broker restart during the wait), deleted at the end, and expires after a day if the submitter dies.
/// </summary>
public static class JobSubmitter
{
    public static async Task<SubmitSummary> SubmitAsync(IReadOnlyList<SegmentationJob> jobs, Uri broker, QueueTopology topology, bool wait,
                                                        Action<JobResult, int, int>? onResult, TextWriter log, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var ids = jobs.Select(j => j.JobId).ToList();
        if (ids.Distinct().Count() != ids.Count) throw new ArgumentException("two jobs share an id: " + string.Join(", ", ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key)));
        var factory = BrokerConnection.Factory(broker, TimeSpan.FromSeconds(30));
        await using var connection = await BrokerConnection.ConnectAsync(factory, "segsam submit", log, TimeSpan.FromSeconds(30), cancel);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancel);
        await topology.DeclareAsync(channel, cancel);

        var wanted = ids.ToHashSet();
        var results = new ConcurrentDictionary<string, JobResult>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? waitQueue = null;
        if (wait)
        {
            waitQueue = $"{topology.Results}.wait-{Guid.NewGuid():N}";
            await channel.QueueDeclareAsync(waitQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-expires"] = (int)TimeSpan.FromDays(1).TotalMilliseconds }, cancellationToken: cancel);
            await channel.QueueBindAsync(waitQueue, topology.Results, "", arguments: null, cancellationToken: cancel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                JobResult result;
                try
                {
                    result = JobResult.Parse(delivery.Body.Span);
                }
                catch (InvalidDataException e)
                {
                    lock (log) log.WriteLine($"ignored a malformed result: {e.Message}");
                    return Task.CompletedTask;
                }
                if (wanted.Contains(result.JobId) && results.TryAdd(result.JobId, result))
                {
                    onResult?.Invoke(result, results.Count, ids.Count);
                    if (results.Count == ids.Count) all.TrySetResult();
                }
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(waitQueue, autoAck: true, consumer, cancel);
        }
        foreach (var job in jobs)
        {
            var properties = new BasicProperties
            {
                Persistent = true,
                ContentType = "application/json",
                MessageId = job.JobId,
                Headers = new Dictionary<string, object?> { [QueueTopology.AttemptHeader] = 1 },
            };
            await channel.BasicPublishAsync("", topology.Jobs, mandatory: true, properties, job.ToJson(), cancel);
        }
        if (wait && ids.Count > 0)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (timeout is { } t) limit.CancelAfter(t);
            try
            {
                await all.Task.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // Timed out: the summary reports the jobs still pending.
            }
        }
        if (waitQueue is not null)
        {
            try
            {
                await channel.QueueDeleteAsync(waitQueue, ifUnused: false, ifEmpty: false, cancellationToken: CancellationToken.None);
            }
            catch (Exception e) when (QueueWorker.IsBrokerTrouble(e))
            {
                // It expires by itself.
            }
        }
        return new SubmitSummary(ids, new Dictionary<string, JobResult>(results));
    }
}
