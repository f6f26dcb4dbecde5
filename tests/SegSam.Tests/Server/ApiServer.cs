using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Server;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Server;

/// <summary>
/// The `segsam serve` application in process (WebApplicationFactory on a test server), with a tiny
/// (untrained) SEG-SAM model (and, when asked, a tiny random PG-SAM model) and a small LPS volume
/// written by nibabel, so that each request runs the real library. The server is a library without
/// an entry point; the factory's type is the CLI's Program (which hosts it as `segsam serve`, and
/// whose assembly has the entry point and deps file the factory checks for), but the host is built here
/// from <see cref="ServerHost.AddServices"/> and <see cref="ServerHost.UsePipeline"/>, the halves
/// <see cref="ServerHost.Build"/> uses for Kestrel, so the CLI's Main never runs.
/// </summary>
public sealed class ApiServer : WebApplicationFactory<Program>
{
    readonly ServerOptions options;

    public TempDir Dir { get; } = new();
    public HttpClient Client { get; }
    public string Model { get; }
    public string Volume { get; }

    ApiServer(Func<ServerOptions, ServerOptions>? tweak, bool segsam, bool pgsam)
    {
        manual_seed(4);
        using (var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true }))
            SegSamCheckpoint.Save(model, Model = Dir.File("tiny.safetensors"));
        var models = new List<string>();
        if (segsam) models.Add(Model);
        if (pgsam) models.Add(TinyPgSam.Save(Dir.File("tiny-pgsam.safetensors")));
        Volume = Dir.File("volume.nii.gz");
        Python.Run($$"""
            import numpy as np, nibabel as nib
            data = np.full((24, 20, 12), 30, np.int16)
            data[6:16, 5:14, 3:9] = 200
            affine = np.array([[-0.8, 0, 0, 10], [0, -0.9, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
            nib.save(nib.Nifti1Image(data, affine), r'{{Volume}}')
            """);
        var defaults = new ServerOptions { Models = models };
        options = tweak?.Invoke(defaults) ?? defaults;
        Client = CreateClient();
    }

    /// <summary>A generic host with the server's services and pipeline; the factory adds the test server.</summary>
    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder().ConfigureWebHost(web => web
            .ConfigureServices(services => ServerHost.AddServices(services, options))
            .Configure(ServerHost.UsePipeline));

    /// <summary>A server with the tiny SEG-SAM model (<paramref name="segsam"/>) and/or the tiny PG-SAM model "tiny-pgsam" (<paramref name="pgsam"/>).</summary>
    public static ApiServer Start(Func<ServerOptions, ServerOptions>? tweak = null, bool segsam = true, bool pgsam = false) => new(tweak, segsam, pgsam);

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Polls job <paramref name="location"/> until it is finished (30 s at most); returns its last state.</summary>
    public async Task<JsonElement> Finished(string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = await Json(await Client.GetAsync(location));
            if (job.GetProperty("state").GetString() is "done" or "failed" or "cancelled") return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {location} still {job.GetProperty("state").GetString()} after 30 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits (5 s at most) until <paramref name="condition"/> holds.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Uploads <paramref name="path"/> under the client file name <paramref name="name"/>.</summary>
    public Task<HttpResponseMessage> Upload(string path, string name) =>
        Client.PostAsync($"/api/v1/volumes?name={Uri.EscapeDataString(name)}", new ByteArrayContent(File.ReadAllBytes(path)));

    /// <summary>Uploads the test volume and returns its id.</summary>
    public async Task<string> OpenVolume()
    {
        var response = await Upload(Volume, "scan.nii.gz");
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await Json(response)).GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>());

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/>; returns its detail.</summary>
    public static async Task<string> Problem(HttpResponseMessage response, int status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(status, doc.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", body);
        return doc.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "";
    }

    public override async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await base.DisposeAsync();
        Dir.Dispose();
    }
}
