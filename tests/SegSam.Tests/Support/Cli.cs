using System.Diagnostics;

namespace SegSam.Tests.Support;

/// <summary>Runs the real `segsam` process (the CLI assembly built next to the tests).</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
    }

    public static Result Run(params string[] args) => RunWith(new Dictionary<string, string?>(), args);

    /// <summary>Runs the CLI with these environment variables set (a null value removes one).</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "SegSam.Cli.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SEGSAM_DEBUG");
        foreach (var (name, value) in environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        return Finish(psi, $"segsam {string.Join(' ', args)}");
    }

    /// <summary>Starts a process, collects its output, and kills it (with its children) after <paramref name="minutes"/> (default 5).</summary>
    public static Result Finish(ProcessStartInfo psi, string what, int minutes = 5)
    {
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {what}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(minutes)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {minutes} minutes");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
