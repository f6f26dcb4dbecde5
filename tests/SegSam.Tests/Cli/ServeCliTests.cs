namespace SegSam.Tests.Cli;

/// <summary>`segsam serve` as a process: its option checks (before any server starts).</summary>
public sealed class ServeCliTests
{
    [Fact]
    public void AnOpenAddressNeedsAToken()
    {
        var run = Support.Cli.Run("serve", "--host", "0.0.0.0");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("give --token", run.StdErr);
    }

    [Fact]
    public void BadOptionsAreUsageErrorsAndAMissingModelIsAnInputError()
    {
        var ttl = Support.Cli.Run("serve", "--session-ttl", "5x");
        Assert.True(ttl.ExitCode == 2, ttl.ToString());
        Assert.Contains("--session-ttl expects", ttl.StdErr);
        var model = Support.Cli.Run("serve", "--model", "/nonexistent/model.safetensors");
        Assert.True(model.ExitCode == 3, model.ToString());
        Assert.Contains("model not found: /nonexistent/model.safetensors", model.StdErr);
    }
}
