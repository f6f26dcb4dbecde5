using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Server;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>
/// What the viewer needs from the server besides the API: its files at / (also without the
/// token), and the volume and label volume on the session's RAS+ grid, where the viewer's voxel
/// indices are the server's (an LPS input, so that the grid really differs from the input's).
/// </summary>
public sealed class ViewerApiTests
{
    [Fact]
    public async Task TheViewerIsServedAtTheRootAlsoWithoutTheToken()
    {
        await using var server = ApiServer.Start(o => o with { Token = "s3cret" });
        var page = await server.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"app.js\">", html);
        foreach (var (path, type) in new[] { ("/app.js", "text/javascript"), ("/app.css", "text/css"), ("/niivue/niivue.js", "text/javascript") })
        {
            var file = await server.Client.GetAsync(path);
            Assert.True(file.StatusCode == HttpStatusCode.OK, $"{path}: {(int)file.StatusCode} (NiiVue comes from scripts/setup.sh's npm ci)");
            Assert.Equal(type, file.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(File.Exists(ViewerFiles.NiiVue));
        // The data stay behind the token.
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/info"), 401);
        await ApiServer.Problem(await server.Client.GetAsync("/nothing-here.js"), 401);
    }

    [Fact]
    public async Task TheImageComesOnTheRasGridTheSlicesAreCutFrom()
    {
        await using var server = ApiServer.Start();
        var opened = await ApiServer.Json(await server.Upload(server.Volume, "scan.nii.gz"));
        string id = opened.GetProperty("id").GetString()!;
        Assert.Equal("LPS", opened.GetProperty("orientation").GetString());
        var image = await Download(server, $"/api/v1/volumes/{id}/view/image.nii.gz");

        var expected = Orientation.Canonical(MedicalImage.Load(server.Volume)).Canonical;
        Assert.Equal(opened.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()), image.Dims);
        Assert.Equal("RAS", Orientation.AxisCodes(image.Affine));
        Assert.Equal(expected.Data, image.Data); // int16 as read, so window/level works on the scanner's values
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) Assert.Equal(expected.Affine[r, c], image.Affine[r, c], 5);

        // Voxel (x, y, z) of this grid is what slice pixels name: axial slice z, row ny-1-y, column nx-1-x.
        var slice = SliceGeometry.Extract(expected, SliceAxis.Axial, 6);
        int nx = image.Dims[0], ny = image.Dims[1];
        for (int i = 0; i < 5; i++)
        {
            int x = 3 + 4 * i, y = 2 + 3 * i;
            Assert.Equal(slice.Pixels[(ny - 1 - y) * nx + (nx - 1 - x)], image[x, y, 6]);
        }
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/volumes/0123456789abcdef0123456789abcdef/view/image.nii.gz"), 404);
    }

    [Fact]
    public async Task TheLabelsComeOnTheSameGridAsTheDownload()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var empty = await Download(server, $"/api/v1/volumes/{id}/view/labels.nii.gz");
        Assert.All(empty.Data, v => Assert.Equal(0f, v));

        var answer = await ApiServer.Json(await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts",
            new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 }, mask = "rle" }));
        int oid = answer.GetProperty("objectId").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PutAsJsonAsync($"/api/v1/volumes/{id}/objects/{oid}", new { label = 300 })).StatusCode);

        var view = await Download(server, $"/api/v1/volumes/{id}/view/labels.nii.gz");
        var input = await Download(server, $"/api/v1/volumes/{id}/labels.nii.gz");
        var canonical = Orientation.Canonical(input).Canonical;
        Assert.Equal(canonical.Dims, view.Dims);
        Assert.Equal(canonical.Data, view.Data);
        Assert.Equal("int16", view.SourceDataType); // 300 does not fit uint8

        // The RLE's ones are the voxels of axial slice 6, placed as the viewer places them.
        var runs = answer.GetProperty("maskRle").EnumerateArray().Select(r => r.GetInt32()).ToArray();
        int w = answer.GetProperty("width").GetInt32(), nx = view.Dims[0], ny = view.Dims[1], at = 0, ones = 0;
        for (int k = 0; k < runs.Length; at += runs[k], k++)
            if (k % 2 == 1)
                for (int i = at; i < at + runs[k]; i++, ones++)
                    Assert.Equal(300f, view[nx - 1 - i % w, ny - 1 - i / w, 6]);
        Assert.Equal(ones, view.Data.Count(v => v != 0));
    }

    static async Task<Volume> Download(ApiServer server, string path)
    {
        var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("application/gzip"), response.Content.Headers.ContentType);
        using var dir = new TempDir();
        string file = dir.File("volume.nii.gz");
        await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());
        return MedicalImage.Load(file);
    }
}
