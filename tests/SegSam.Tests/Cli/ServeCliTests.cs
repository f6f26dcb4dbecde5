using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Tests.Support;

namespace SegSam.Tests.Cli;

/// <summary>`segsam serve` as a process: its option checks (before any server starts), and the API on a real port.</summary>
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

    [Fact]
    public async Task ServeAnswersOnARealPort()
    {
        using var dir = new TempDir();
        string model = dir.File("tiny.safetensors");
        using (var tiny = new SegSamModel(TinySegSam.Config("sawd")))
            SegSamCheckpoint.Save(tiny, model);
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "SegSam.Cli.dll"), "serve", "--port", $"{port}", "--model", model }) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SEGSAM_DEBUG");
        var output = new StringBuilder();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the CLI");
        // Both pipes are drained from the start: a child whose pipe fills blocks on its next write.
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            // "serving" is printed once Kestrel listens: the first request after it must be answered.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Log(output).Contains("serving", StringComparison.Ordinal))
            {
                Assert.False(process.HasExited, $"segsam serve exited ({(process.HasExited ? process.ExitCode : 0)}):\n{Log(output)}");
                Assert.True(DateTime.UtcNow < deadline, $"segsam serve did not say it was serving within 60 s:\n{Log(output)}");
                await Task.Delay(100);
            }
            Assert.Contains($"viewer http://127.0.0.1:{port}/, API http://127.0.0.1:{port}/api/v1", Log(output));
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var info = await client.GetAsync($"http://127.0.0.1:{port}/api/v1/info");
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            using var json = JsonDocument.Parse(await info.Content.ReadAsStringAsync());
            Assert.Equal("tiny", json.RootElement.GetProperty("models")[0].GetProperty("name").GetString());
            // The viewer's page is served at the URL printed for it.
            var page = await client.GetAsync($"http://127.0.0.1:{port}/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<title>", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
    }

    static string Log(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
