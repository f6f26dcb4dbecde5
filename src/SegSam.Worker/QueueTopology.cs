using RabbitMQ.Client;

namespace SegSam.Worker;

/// <summary>
/// The queues and exchange of batch segmentation (docs/scale-out.md), declared the same way by every
/// worker and submitter (declaring is idempotent while the arguments agree):
/// <list type="bullet">
/// <item><see cref="Jobs"/>: durable; a message rejected there dead-letters to <see cref="Dead"/>.</item>
/// <item><see cref="Retry"/>: where a transiently failed job waits out its back-off (per-message TTL), then dead-letters back to <see cref="Jobs"/>.</item>
/// <item><see cref="Dead"/>: jobs given up on, each with its reason in the <see cref="ErrorHeader"/> header.</item>
/// <item><see cref="Results"/>: a fanout exchange of result events with a durable queue of the same name for any downstream consumer;
///   `segsam submit --wait` binds its own queue to it.</item>
/// </list>
/// </summary>
public sealed record QueueTopology(string Jobs = QueueTopology.DefaultJobs, string Results = QueueTopology.DefaultResults)
{
    public const string DefaultJobs = "segsam.jobs";
    public const string DefaultResults = "segsam.results";

    /// <summary>The delivery of a job this message is (1, 2, …): counts transient failures; a redelivery after a crash keeps it.</summary>
    public const string AttemptHeader = "x-segsam-attempt";

    /// <summary>Why a job is in the dead-letter queue.</summary>
    public const string ErrorHeader = "x-segsam-error";

    public string Dead => Jobs + ".dead";
    public string Retry => Jobs + ".retry";

    public async Task DeclareAsync(IChannel channel, CancellationToken cancel = default)
    {
        await channel.QueueDeclareAsync(Dead, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancel);
        await channel.QueueDeclareAsync(Jobs, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-dead-letter-exchange"] = "", ["x-dead-letter-routing-key"] = Dead }, cancellationToken: cancel);
        await channel.QueueDeclareAsync(Retry, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-dead-letter-exchange"] = "", ["x-dead-letter-routing-key"] = Jobs }, cancellationToken: cancel);
        await channel.ExchangeDeclareAsync(Results, ExchangeType.Fanout, durable: true, autoDelete: false, arguments: null, cancellationToken: cancel);
        await channel.QueueDeclareAsync(Results, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: cancel);
        await channel.QueueBindAsync(Results, Results, "", arguments: null, cancellationToken: cancel);
    }

    /// <summary>A header's whole-number value (AMQP tables carry integers of several widths), or null.</summary>
    public static long? NumberHeader(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true ? value switch
        {
            int i => i, long l => l, short s => s, byte b => b, uint u => u,
            byte[] text when long.TryParse(System.Text.Encoding.UTF8.GetString(text), out long parsed) => parsed,
            _ => null,
        } : null;

    /// <summary>A header's text (AMQP long strings arrive as bytes), or null.</summary>
    public static string? TextHeader(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true ? value switch
        {
            byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
            string s => s,
            _ => value?.ToString(),
        } : null;
}
