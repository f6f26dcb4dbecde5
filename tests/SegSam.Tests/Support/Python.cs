using System.Diagnostics;
using System.Text;

namespace SegSam.Tests.Support;

/// <summary>
/// Runs Python scripts with the system interpreter (/usr/bin/python3, which has Debian's
/// python3-torch) so tests can produce reference data with real PyTorch.
/// </summary>
public static class Python
{
    /// <summary>The interpreter: $SEGSAM_PYTHON when set, else /usr/bin/python3 (a pyenv python lacks torch).</summary>
    public static string Executable =>
        Environment.GetEnvironmentVariable("SEGSAM_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>Result of one script run.</summary>
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    /// <summary>
    /// Writes <paramref name="script"/> to a temporary file and runs it with <paramref name="args"/>,
    /// killing it after <paramref name="timeout"/> (default 120 s). Throws when the script fails,
    /// with its stderr in the message; a missing torch module gets an install hint.
    /// </summary>
    public static Result Run(string script, IEnumerable<string>? args = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var r = TryRun(script, args, timeout, workingDirectory);
        if (r.ExitCode == 0) return r;
        if (r.StdErr.Contains("No module named 'torch'", StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"{Executable} cannot import torch: install python3-torch (apt-get install python3-torch).\n{r.StdErr}");
        throw new InvalidOperationException($"Python script failed with exit code {r.ExitCode}.\nstderr:\n{r.StdErr}\nstdout:\n{r.StdOut}");
    }

    /// <summary>Like <see cref="Run"/> but returns a failing result instead of throwing (timeouts still throw).</summary>
    public static Result TryRun(string script, IEnumerable<string>? args = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        string dir = Directory.CreateTempSubdirectory("segsam-py-").FullName;
        try
        {
            string file = Path.Combine(dir, "script.py");
            File.WriteAllText(file, script, new UTF8Encoding(false));
            var psi = new ProcessStartInfo(Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? dir,
            };
            psi.ArgumentList.Add(file);
            foreach (var a in args ?? Array.Empty<string>()) psi.ArgumentList.Add(a);
            // Keep the interpreter's own environment from redirecting imports or writing bytecode caches.
            psi.Environment.Remove("PYTHONPATH");
            psi.Environment.Remove("PYTHONHOME");
            psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

            using var process = Process.Start(psi)
                ?? throw new InvalidOperationException($"Could not start {Executable}.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var limit = timeout ?? TimeSpan.FromSeconds(120);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"Python script did not finish within {limit.TotalSeconds:0} s.\nstderr:\n{stderr.Result}");
            }
            process.WaitForExit(); // flush the async output readers
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Python interpreter {Executable} is not available: {e.Message}. Install python3 and python3-torch.", e);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Runs a script that imports torch; same as <see cref="Run"/>, kept as a readable call site.</summary>
    public static Result RunTorch(string script, IEnumerable<string>? args = null, TimeSpan? timeout = null) =>
        Run(script, args, timeout);
}
