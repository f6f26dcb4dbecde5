using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Server;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Server;

/// <summary>
/// The `segsam serve` application in process on a test server, with a tiny (untrained) SEG-SAM
/// model and a small LPS volume written by nibabel, so that each request runs the real library.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    public TempDir Dir { get; } = new();
    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string Model { get; }
    public string Volume { get; }

    ApiServer(Func<ServerOptions, ServerOptions>? tweak)
    {
        manual_seed(4);
        using (var model = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true }))
            SegSamCheckpoint.Save(model, Model = Dir.File("tiny.safetensors"));
        Volume = Dir.File("volume.nii.gz");
        Python.Run($$"""
            import numpy as np, nibabel as nib
            data = np.full((24, 20, 12), 30, np.int16)
            data[6:16, 5:14, 3:9] = 200
            affine = np.array([[-0.8, 0, 0, 10], [0, -0.9, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
            nib.save(nib.Nifti1Image(data, affine), r'{{Volume}}')
            """);
        var options = new ServerOptions { Models = [Model] };
        App = ServerHost.Build(tweak?.Invoke(options) ?? options, b => b.WebHost.UseTestServer());
        App.StartAsync().GetAwaiter().GetResult();
        Client = App.GetTestClient();
    }

    public static ApiServer Start(Func<ServerOptions, ServerOptions>? tweak = null) => new(tweak);

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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Dir.Dispose();
    }
}
