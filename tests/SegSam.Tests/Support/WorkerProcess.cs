using System.Collections.Concurrent;
using System.Diagnostics;

namespace SegSam.Tests.Support;

/// <summary>A `segsam worker` (or any long-running CLI command) as a real process, with its output lines kept for the test to wait on.</summary>
public sealed class WorkerProcess : IDisposable
{
    readonly Process process;
    readonly ConcurrentQueue<string> lines = new();

    public WorkerProcess(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SegSam.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SEGSAM_DEBUG");
        process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the CLI");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;
    public IReadOnlyList<string> Lines => [.. lines];
    public string Output => string.Join("\n", lines);

    /// <summary>Waits until a line contains <paramref name="text"/>; the line, or a TimeoutException with the output so far.</summary>
    public string WaitFor(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line) return line;
            if (process.HasExited && !lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                throw new InvalidOperationException($"the process exited ({process.ExitCode}) before printing '{text}':\n{Output}");
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no line with '{text}' in {timeout.TotalSeconds:F0} s:\n{Output}");
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout)) return false;
        process.WaitForExit(); // drains the output
        return true;
    }

    /// <summary>SIGKILL: the process dies at once, mid-job, without settling its deliveries.</summary>
    public void KillHard() => process.Kill();

    /// <summary>SIGTERM: what systemd or docker stop sends.</summary>
    public void Terminate() => RabbitBroker.Signal(process.Id, 15);

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(5000);
        process.Dispose();
    }
}
