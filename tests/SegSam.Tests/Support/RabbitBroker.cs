using SegSam.Worker;

namespace SegSam.Tests.Support;

/// <summary>A private RabbitMQ node (<see cref="PrivateRabbitNode"/>) as an xUnit class fixture: started for the class, stopped and removed after it.</summary>
public sealed class RabbitBroker : IDisposable
{
    readonly PrivateRabbitNode node = new();

    public Uri Url => node.Url;

    /// <summary>Stop, then start on the same ports and data (durable queues and persistent messages survive).</summary>
    public void Restart() => node.Restart();

    public string Log() => node.Log();

    public void Dispose() => node.Dispose();

    /// <summary>kill(2) (a negative id signals a process group).</summary>
    public static void Signal(int pid, int signal) => PrivateRabbitNode.Signal(pid, signal);
}
