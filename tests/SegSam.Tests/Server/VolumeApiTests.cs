using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SegSam.Imaging;
using SegSam.Server;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>/api/v1 info, volume upload (and its 413/415/422), the built-in MRI, slice PNGs, expiry and closing.</summary>
public sealed class VolumeApiTests
{
    [Fact]
    public async Task InfoListsTheModelAndLimits()
    {
        await using var server = ApiServer.Start(o => o with { MaxUploadBytes = 12345 });
        var info = await ApiServer.Json(await server.Client.GetAsync("/api/v1/info"));
        var model = info.GetProperty("models")[0];
        Assert.Equal("tiny", model.GetProperty("name").GetString());
        Assert.Equal("SEG-SAM", model.GetProperty("kind").GetString());
        Assert.Equal(TinySegSam.Categories, model.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(12345, info.GetProperty("limits").GetProperty("maxUploadBytes").GetInt64());
    }

    [Fact]
    public async Task UploadOpensTheVolumeOnItsRasGrid()
    {
        await using var server = ApiServer.Start();
        var response = await server.Upload(server.Volume, "scan.nii.gz");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var volume = await ApiServer.Json(response);
        Assert.Equal(32, volume.GetProperty("id").GetString()!.Length);
        Assert.Equal("scan.nii.gz", volume.GetProperty("name").GetString());
        Assert.Equal([24, 20, 12], volume.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("LPS", volume.GetProperty("orientation").GetString());
        Assert.Equal(0.8, volume.GetProperty("spacing")[0].GetDouble(), 6);
    }

    [Fact]
    public async Task UnsupportedUploadsAre415()
    {
        await using var server = ApiServer.Start();
        Assert.Contains("scan.exe: unsupported upload type", await ApiServer.Problem(await server.Upload(server.Volume, "scan.exe"), 415));
        Assert.Contains("name the file", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes", new ByteArrayContent([1, 2])), 415));
    }

    [Fact]
    public async Task UploadsOverTheLimitAre413()
    {
        await using var server = ApiServer.Start(o => o with { MaxUploadBytes = 100 });
        Assert.Contains("limit of 100 bytes", await ApiServer.Problem(await server.Upload(server.Volume, "scan.nii.gz"), 413));
    }

    [Fact]
    public async Task UnreadableUploadsAre422NamedByTheClientsFileName()
    {
        await using var server = ApiServer.Start();
        var bytes = File.ReadAllBytes(server.Volume);
        File.WriteAllBytes(server.Dir.File("truncated.nii.gz"), bytes[..(bytes.Length / 2)]);
        string truncated = await ApiServer.Problem(await server.Upload(server.Dir.File("truncated.nii.gz"), "../../etc/scan.nii.gz"), 422);
        Assert.StartsWith("scan.nii.gz", truncated);
        Assert.DoesNotContain("segsam-uploads", truncated);
        File.WriteAllBytes(server.Dir.File("noise.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5, 6]);
        Assert.StartsWith("noise.png", await ApiServer.Problem(await server.Upload(server.Dir.File("noise.png"), "noise.png"), 422));
        File.WriteAllBytes(server.Dir.File("empty.nii.gz"), []);
        Assert.StartsWith("empty.nii.gz", await ApiServer.Problem(await server.Upload(server.Dir.File("empty.nii.gz"), "empty.nii.gz"), 422));
        // A 70 KB file of 8200² slices: over the session's slice limit, refused before a session holds it.
        string big = server.Dir.File("big.nii.gz");
        Python.Run($"import numpy as np, nibabel as nib; nib.save(nib.Nifti1Image(np.zeros((8200, 8200, 1), np.uint8), np.eye(4)), r'{big}')");
        Assert.StartsWith("big-slice.nii.gz: its 8200 × 8200 slices have more than", await ApiServer.Problem(await server.Upload(big, "big-slice.nii.gz"), 422));
    }

    [Fact]
    public async Task TheBuiltinMriOpens()
    {
        await using var server = ApiServer.Start();
        var response = await server.Client.PostAsync("/api/v1/volumes/builtin", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var volume = await ApiServer.Json(response);
        Assert.Equal("ch2.nii.gz", volume.GetProperty("name").GetString());
        Assert.Equal([181, 217, 181], volume.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public async Task AMissingBuiltinMriIs404()
    {
        await using var server = ApiServer.Start(o => o with { BuiltinVolume = "/nonexistent/ch2.nii.gz" });
        Assert.Contains("mricron-data", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes/builtin", null), 404));
    }

    [Fact]
    public async Task SlicesArePngsAsViewersShowThem()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var response = await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png");
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var png = PngDecoder.Decode(await response.Content.ReadAsByteArrayAsync(), "slice");
        Assert.Equal((20, 24), (png.Height, png.Width));
        var coronal = PngDecoder.Decode(await server.Client.GetByteArrayAsync($"/api/v1/volumes/{id}/slices/coronal/0.png"), "slice");
        Assert.Equal((12, 24), (coronal.Height, coronal.Width));
    }

    [Fact]
    public async Task BadSlicesAre400AndUnknownVolumes404()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        Assert.Contains("axial, coronal or sagittal", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/oblique/1.png"), 400));
        Assert.Contains("12 axial slices (0..11)", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/12.png"), 400));
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/volumes/0123/slices/axial/1.png"), 404);
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/volumes/..%2F..%2Fetc%2Fpasswd/labels.json"), 404);
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/nothing-here"), 404);
    }

    [Fact]
    public async Task ExpiredAndClosedVolumesAreGone()
    {
        await using var server = ApiServer.Start();
        string first = await server.OpenVolume(), second = await server.OpenVolume();
        var registry = server.Service<VolumeRegistry>();
        Assert.Equal(0, registry.Expire(DateTime.UtcNow));
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/v1/volumes/{first}")).StatusCode);
        await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{first}/labels.json"), 404);
        Assert.Equal(1, registry.Expire(DateTime.UtcNow.AddHours(1)));
        Assert.Equal(0, registry.Count);
        await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{second}/labels.json"), 404);
    }
}
