using System.Text.Json;

namespace SegSam.Tests.Runtime;

/// <summary>
/// MKL's fast path (SegSam.MklFastPath): on by default on AMD CPUs in every program using SegSam,
/// off with the switch, and reported when it comes too late. What MKL really picks is read back
/// from MKL itself (its code branch), so these tests fail if the override stops taking effect.
/// SegSam builds for linux-x64 only (Directory.Build.props), where MKL and the shim apply.
/// </summary>
public sealed class MklFastPathTests
{
    static readonly string[] CpuFlags = CpuInfo("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    static readonly bool OnAmd = CpuInfo("vendor_id") == "AuthenticAMD";

    /// <summary>The first value of a /proc/cpuinfo field ("" where there is none).</summary>
    static string CpuInfo(string field) => !File.Exists("/proc/cpuinfo") ? "" : File.ReadLines("/proc/cpuinfo")
        .Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim() == field)?[1].Trim() ?? "";

    /// <summary>The branch MKL's fast path picks here: AVX-512 kernels only where the CPU has AVX-512.</summary>
    static void AssertFastBranch(string? branch)
    {
        if (CpuFlags.Contains("avx512f")) Assert.StartsWith("AVX512", branch);
        else if (CpuFlags.Contains("avx2")) Assert.Equal("AVX2", branch);
        else Assert.NotNull(branch);
    }

    static (bool Applied, string Status, string Branch) Runtime(Dictionary<string, string?> environment, params string[] options)
    {
        var cli = Support.Cli.RunWith(environment, ["runtime", "--json", .. options]);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        using var json = JsonDocument.Parse(cli.StdOut);
        var root = json.RootElement;
        return (root.GetProperty("mkl_fast_path").GetBoolean(), root.GetProperty("mkl_fast_path_status").GetString()!,
            root.GetProperty("mkl_code_branch").GetString()!);
    }

    [Fact]
    public void The_switch_is_unset_0_or_1_and_anything_else_is_refused()
    {
        Assert.Null(MklFastPath.ParseSwitch(null));
        Assert.Null(MklFastPath.ParseSwitch(""));
        Assert.False(MklFastPath.ParseSwitch("0"));
        Assert.True(MklFastPath.ParseSwitch(" 1 "));
        var e = Assert.Throws<ArgumentException>(() => MklFastPath.ParseSwitch("yes"));
        Assert.Contains(MklFastPath.Switch, e.Message);
        Assert.Contains("'yes'", e.Message);
    }

    [Fact]
    public void This_test_process_runs_with_the_fast_path_on_AMD()
    {
        string? switchValue = Environment.GetEnvironmentVariable(MklFastPath.Switch);
        bool expected = switchValue != "0" && (OnAmd || switchValue == "1");
        Assert.True(expected == MklFastPath.Applied, MklFastPath.Status);
        if (expected) AssertFastBranch(MklFastPath.CodeBranch());
    }

    [Fact]
    public void The_CLI_takes_the_fast_path_by_default_on_AMD_and_not_when_switched_off()
    {
        var byDefault = Runtime(new() { [MklFastPath.Switch] = null });
        var off = Runtime(new() { [MklFastPath.Switch] = "0" });
        var offByOption = Runtime(new() { [MklFastPath.Switch] = null }, "--no-mkl-fast-path");
        Assert.True(OnAmd == byDefault.Applied, byDefault.Status);
        if (OnAmd) AssertFastBranch(byDefault.Branch);
        foreach (var run in new[] { off, offByOption })
        {
            Assert.False(run.Applied);
            Assert.Equal($"off: {MklFastPath.Switch}=0", run.Status);
            // On AMD, MKL left to itself picks none of its Intel branches (it answers AUTO).
            if (OnAmd) Assert.DoesNotContain("AVX", run.Branch);
        }
    }

    [Fact]
    public void Loading_libtorch_before_SegSam_is_reported_not_ignored()
    {
        string libtorch = Path.Combine(AppContext.BaseDirectory, "libtorch_cpu.so");
        var late = Runtime(new() { [MklFastPath.Switch] = "1", ["LD_PRELOAD"] = libtorch });
        Assert.False(late.Applied);
        Assert.StartsWith("too late: libtorch_cpu.so was loaded before SegSam", late.Status);
        if (OnAmd) Assert.DoesNotContain("AVX", late.Branch);
    }

    [Fact]
    public void A_bad_switch_value_is_a_usage_error_in_the_CLI()
    {
        var cli = Support.Cli.RunWith(new Dictionary<string, string?> { [MklFastPath.Switch] = "fast" }, "runtime");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains($"segsam: error: {MklFastPath.Switch} must be 0 (off) or 1 (on), not 'fast'", cli.StdErr);
    }
}
