using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RabbitMQ.Client;

namespace SegSam.Worker;

/// <summary>
/// A private RabbitMQ node on this machine, for tests, benchmarks and trying the worker out (not for
/// production: docs/scale-out.md): Debian's rabbitmq-server (scripts/setup.sh) with its own node name,
/// AMQP and distribution ports (free ones on 127.0.0.1), data, log and configuration in a temporary
/// folder, no plugins. Not the system service: nothing outside the temporary folder is written,
/// except that the node registers with the machine's shared epmd. The node runs in a process group
/// of its own so that stopping it also stops Erlang's helpers; the folder goes with <see cref="Dispose"/>.
/// </summary>
public sealed class PrivateRabbitNode : IDisposable
{
    const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    readonly string dir = Directory.CreateTempSubdirectory("segsam-rabbitmq-").FullName;
    readonly Dictionary<string, string> environment;
    Process? node;

    public PrivateRabbitNode()
    {
        if (!File.Exists(Server)) throw new InvalidOperationException($"{Server} is missing: install Debian's rabbitmq-server (scripts/setup.sh)");
        AmqpPort = FreePort();
        int distPort = FreePort();
        NodeName = $"segsam-test-{Guid.NewGuid():N}"[..24] + "@localhost";
        File.WriteAllText(In("enabled_plugins"), "");
        // The guest user may connect from localhost only (RabbitMQ's default), which is all the tests need;
        // the listener comes from RABBITMQ_NODE_IP_ADDRESS/RABBITMQ_NODE_PORT below.
        File.WriteAllText(In("rabbitmq.conf"), "log.file.level = info\n");
        environment = new()
        {
            ["HOME"] = dir, // the Erlang cookie goes here, not into /var/lib/rabbitmq
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = $"{AmqpPort}",
            ["RABBITMQ_DIST_PORT"] = $"{distPort}",
            ["RABBITMQ_MNESIA_BASE"] = In("mnesia"),
            ["RABBITMQ_LOG_BASE"] = In("log"),
            ["RABBITMQ_CONFIG_FILE"] = In("rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = In("enabled_plugins"),
            ["RABBITMQ_PLUGINS_EXPAND_DIR"] = In("plugins-expand"),
            ["RABBITMQ_PID_FILE"] = In("rabbitmq.pid"),
        };
        Start();
    }

    public string NodeName { get; }
    public int AmqpPort { get; }
    public Uri Url => new($"amqp://guest:guest@127.0.0.1:{AmqpPort}/");

    /// <summary>Starts the node and waits (up to 3 minutes: Erlang boots slowly on a busy machine) until it takes AMQP connections.</summary>
    void Start()
    {
        // setsid: a new process group, so Stop reaches the whole Erlang process tree.
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Server);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        node = Process.Start(psi) ?? throw new InvalidOperationException("could not start rabbitmq-server");
        node.OutputDataReceived += (_, _) => { };
        node.ErrorDataReceived += (_, _) => { };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        var factory = new ConnectionFactory { Uri = Url };
        while (true)
        {
            if (node.HasExited) throw new InvalidOperationException($"rabbitmq-server exited with {node.ExitCode}; log: {Log()}");
            try
            {
                using var connection = factory.CreateConnectionAsync().GetAwaiter().GetResult();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>Stops the node gracefully (SIGTERM: Erlang's orderly shutdown, queues saved), then anything left in its group.</summary>
    public void Stop()
    {
        if (node is null) return;
        Signal(-node.Id, 15);
        if (!node.WaitForExit(TimeSpan.FromSeconds(30))) Signal(-node.Id, 9);
        node.WaitForExit(TimeSpan.FromSeconds(10));
        Signal(-node.Id, 9); // helpers such as erl_child_setup that outlived the VM
        node.Dispose();
        node = null;
    }

    /// <summary>A broker restart: stop, then start on the same ports and data (durable queues and persistent messages survive).</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    /// <summary>The node's log, for failure messages.</summary>
    public string Log()
    {
        string logs = In("log");
        return Directory.Exists(logs) ? string.Join("\n", Directory.EnumerateFiles(logs).Select(f => File.ReadAllText(f)).Select(t => t.Length > 4000 ? t[^4000..] : t)) : "(no log)";
    }

    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    string In(string name) => Path.Combine(dir, name);

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>kill(2): a negative id signals a process group.</summary>
    public static void Signal(int pid, int signal) => kill(pid, signal);
}
