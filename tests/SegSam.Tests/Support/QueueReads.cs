using RabbitMQ.Client;
using SegSam.Batch;
using SegSam.Worker;

namespace SegSam.Tests.Support;

/// <summary>What the queue tests read back from the broker: result events and dead-lettered jobs' reasons.</summary>
public static class QueueReads
{
    /// <summary>
    /// Declares <paramref name="topology"/> and a private queue bound to its results exchange, so
    /// that a test sees every result event; returns that queue's name.
    /// </summary>
    public static async Task<string> ListenToResults(IChannel channel, QueueTopology topology)
    {
        await topology.DeclareAsync(channel);
        var results = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(results, topology.Results, "");
        return results;
    }

    /// <summary>Result events from <paramref name="queue"/> by job id, until <paramref name="count"/> distinct jobs answered or <paramref name="patience"/> ran out.</summary>
    public static async Task<Dictionary<string, JobResult>> Results(IChannel channel, string queue, int count, TimeSpan patience)
    {
        var got = new Dictionary<string, JobResult>();
        var deadline = DateTime.UtcNow + patience;
        while (got.Count < count && DateTime.UtcNow < deadline)
        {
            var message = await channel.BasicGetAsync(queue, autoAck: true);
            if (message is null) { await Task.Delay(100); continue; }
            var result = JobResult.Parse(message.Body.Span);
            got[result.JobId] = result;
        }
        return got;
    }

    /// <summary>
    /// The dead-letter queue's messages by message id → the reason header, until every one of
    /// <paramref name="ids"/> is there or 50 polls found nothing more.
    /// </summary>
    public static async Task<Dictionary<string, string?>> DeadReasons(IChannel channel, string deadQueue, params string[] ids)
    {
        var dead = new Dictionary<string, string?>();
        for (int i = 0; i < 50 && !ids.All(dead.ContainsKey); i++)
        {
            var message = await channel.BasicGetAsync(deadQueue, autoAck: true);
            if (message is null) { await Task.Delay(100); continue; }
            dead[message.BasicProperties.MessageId!] = QueueTopology.TextHeader(message.BasicProperties, QueueTopology.ErrorHeader);
        }
        return dead;
    }
}
