using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace SegSam.Worker;

/// <summary>
/// Opens a connection to the broker that recovers by itself: heartbeats detect a dead peer, automatic
/// recovery reconnects and re-declares the channels, queues and consumers; the first connection is
/// retried with back-off while the broker is not up yet.
/// </summary>
public static class BrokerConnection
{
    public static ConnectionFactory Factory(Uri broker, TimeSpan heartbeat, ushort dispatchConcurrency = 1) => new()
    {
        Uri = broker,
        AutomaticRecoveryEnabled = true,
        TopologyRecoveryEnabled = true,
        // The client's default is 5 s; 2 s brings workers back sooner after a broker restart.
        NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
        RequestedHeartbeat = heartbeat,
        ConsumerDispatchConcurrency = dispatchConcurrency,
    };

    /// <summary>Connects, retrying an unreachable broker for up to <paramref name="patience"/> (null: until cancelled).</summary>
    public static async Task<IConnection> ConnectAsync(ConnectionFactory factory, string name, TextWriter log, TimeSpan? patience, CancellationToken cancel)
    {
        var started = DateTime.UtcNow;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await factory.CreateConnectionAsync(name, cancel);
            }
            catch (BrokerUnreachableException e) when (patience is null || DateTime.UtcNow - started < patience)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(attempt, 5));
                log.WriteLine($"broker {Endpoint(factory)} unreachable ({e.InnerException?.Message ?? e.Message}); retrying in {delay.TotalSeconds:F0} s");
                await Task.Delay(delay, cancel);
            }
            catch (BrokerUnreachableException e)
            {
                throw new IOException($"broker {Endpoint(factory)} unreachable: {e.InnerException?.Message ?? e.Message}", e);
            }
        }
    }

    /// <summary>host:port/vhost of the broker, without the credentials.</summary>
    public static string Endpoint(ConnectionFactory factory) => $"amqp://{factory.HostName}:{factory.Port}{(factory.VirtualHost == "/" ? "" : "/" + factory.VirtualHost)}";
}
