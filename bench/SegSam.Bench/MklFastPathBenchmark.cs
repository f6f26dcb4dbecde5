using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace SegSam.Bench;

/// <summary>
/// float32 matmul at 2048³ with and without MKL's fast path (SegSam.MklFastPath) in one run. The
/// fast path is fixed when libtorch loads, so the row without it comes from a child process of
/// this benchmark started with SEGSAM_MKL_FAST_PATH=0.
/// </summary>
public static class MklFastPathBenchmark
{
    /// <summary>The option that makes this program the child: one matmul rate as a JSON line.</summary>
    public const string ChildOption = "--matmul-2048-only";

    public sealed record Rate(double Gflops, bool FastPath, string Status, string? Branch);

    /// <summary>The child's work: the 2048³ rate in this process and what MKL ran with.</summary>
    public static int Child(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        int repeats = CoreBenchmark.Arg(args, "--repeats", 5);
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        Console.WriteLine(JsonSerializer.Serialize(Here(CoreBenchmark.MatmulGflops(2048, repeats))));
        return 0;
    }

    /// <summary>A rate measured in this process, with this process's fast-path status and MKL branch.</summary>
    public static Rate Here(double gflops) => new(gflops, MklFastPath.Applied, MklFastPath.Status, MklFastPath.CodeBranch());

    /// <summary>Runs this benchmark again as a child with the fast path off and reads its rate.</summary>
    public static Rate WithoutFastPath(int threads, int repeats)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program to start it again");
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet SegSam.Bench.dll` the process is the dotnet host, which needs the assembly again.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (string a in new[] { ChildOption, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--repeats", repeats.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment[MklFastPath.Switch] = "0";
        using var child = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {self}");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the matmul child exited with {child.ExitCode}: {output}");
        return JsonSerializer.Deserialize<Rate>(output.Trim().Split('\n')[^1])
            ?? throw new InvalidDataException($"the matmul child printed no rate: {output}");
    }
}
