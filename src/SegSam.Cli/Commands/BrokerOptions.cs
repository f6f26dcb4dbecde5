using System.CommandLine;
using SegSam.Worker;

namespace SegSam.Cli.Commands;

/// <summary>The options `segsam worker` and `segsam submit` share: the broker URL and the queue names.</summary>
public static class BrokerOptions
{
    public static Option<string> Broker() => new("--broker")
    {
        Description = "The RabbitMQ broker: amqp://USER:PASSWORD@HOST:PORT/VHOST (amqps:// for TLS)",
        Required = true,
    };

    public static Option<string> Queue() => new("--queue")
    {
        Description = $"The jobs queue (default {QueueTopology.DefaultJobs}); QUEUE.retry and QUEUE.dead go with it",
        DefaultValueFactory = _ => QueueTopology.DefaultJobs,
    };

    public static Option<string> Results() => new("--results")
    {
        Description = $"The results exchange and queue (default {QueueTopology.DefaultResults})",
        DefaultValueFactory = _ => QueueTopology.DefaultResults,
    };

    public static Uri Parse(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new UsageException($"--broker expects amqp://HOST[:PORT][/VHOST] or amqps://…, got '{text}'");
        return uri;
    }
}
