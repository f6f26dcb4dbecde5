using System.Net;
using System.Net.Http.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>Prompts, refinement, accept/relabel/remove and the label exports through /api/v1, against nibabel.</summary>
public sealed class PromptApiTests
{
    static Task<HttpResponseMessage> Prompt(ApiServer server, string id, object body) =>
        server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", body);

    [Fact]
    public async Task APromptAnswersWithCategoryTopFiveAndMask()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var response = await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await ApiServer.Json(response);
        Assert.Equal(1, answer.GetProperty("objectId").GetInt32());
        Assert.Contains(answer.GetProperty("category").GetString(), TinySegSam.Categories);
        var top = answer.GetProperty("top").EnumerateArray().Select(t => (t.GetProperty("category").GetString(), t.GetProperty("probability").GetSingle())).ToList();
        Assert.Equal(TinySegSam.Categories.Length, top.Count);
        Assert.Equal(answer.GetProperty("category").GetString(), top[0].Item1);
        Assert.Equal(top.OrderByDescending(t => t.Item2).ToList(), top);
        var mask = PngDecoder.Decode(Convert.FromBase64String(answer.GetProperty("maskPng").GetString()!), "mask");
        Assert.Equal((20, 24), (mask.Height, mask.Width));
        Assert.Equal((20, 24), (answer.GetProperty("height").GetInt32(), answer.GetProperty("width").GetInt32()));

        // The same prompt as RLE: the runs cover the slice, and the object's runs give its area (0.8 × 0.9 mm pixels).
        var rle = await ApiServer.Json(await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 }, mask = "rle" }));
        Assert.Equal(2, rle.GetProperty("objectId").GetInt32());
        var counts = rle.GetProperty("maskRle").EnumerateArray().Select(c => c.GetInt32()).ToList();
        Assert.Equal(20 * 24, counts.Sum());
        Assert.Equal(rle.GetProperty("areaMm2").GetDouble(), counts.Where((_, i) => i % 2 == 1).Sum() * 0.8 * 0.9, 3);
    }

    [Fact]
    public async Task AMirroringServerAnswersAsTheLibrarySessionWithMirroring()
    {
        await using var server = ApiServer.Start(o => o with { TestTimeMirroring = true });
        var info = await ApiServer.Json(await server.Client.GetAsync("/api/v1/info"));
        Assert.True(info.GetProperty("inference").GetProperty("testTimeMirroring").GetBoolean());
        Assert.True(info.GetProperty("models")[0].GetProperty("testTimeMirroring").GetBoolean());
        // Unset, the server leaves it to each model (the test model's config does not mirror).
        await using (var plain = ApiServer.Start())
        {
            var plainInfo = await ApiServer.Json(await plain.Client.GetAsync("/api/v1/info"));
            Assert.Equal(System.Text.Json.JsonValueKind.Null, plainInfo.GetProperty("inference").GetProperty("testTimeMirroring").ValueKind);
            Assert.False(plainInfo.GetProperty("models")[0].GetProperty("testTimeMirroring").GetBoolean());
        }
        string id = await server.OpenVolume();
        var answer = await ApiServer.Json(await Prompt(server, id, new { axis = "axial", index = 6, points = new[] { new[] { 8, 9, 1 } } }));
        var served = answer.GetProperty("top").EnumerateArray().ToDictionary(t => t.GetProperty("category").GetString()!, t => t.GetProperty("probability").GetSingle());

        using var model = SegSamCheckpoint.Load(server.Model);
        var prompt = new SlicePrompt(SliceAxis.Axial, 6, new SamPrompt { Points = [new PointPrompt(8, 9, 1)] });
        float[] Probabilities(bool mirror)
        {
            using var session = SegmentationSession.Open(server.Volume, model, options: new SessionOptions { TestTimeMirroring = mirror });
            return session.Prompt(prompt).Prediction.ClassProbabilities!;
        }
        var mirrored = Probabilities(true);
        Assert.Equal(mirrored, TinySegSam.Categories.Select(c => served[c]), new FloatTolerance(1e-6f));
        Assert.NotEqual(Probabilities(false), mirrored);
    }

    [Fact]
    public async Task ARefinementAnswersAgainAsANewObject()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } });
        var refined = await ApiServer.Json(await Prompt(server, id, new { refine = 1, points = new[] { new[] { 8, 9, 1 } } }));
        Assert.Equal(2, refined.GetProperty("objectId").GetInt32());
        Assert.Equal(("axial", 6), (refined.GetProperty("axis").GetString(), refined.GetProperty("index").GetInt32()));
        await ApiServer.Problem(await Prompt(server, id, new { refine = 9, points = new[] { new[] { 8, 9, 1 } } }), 404);
    }

    [Fact]
    public async Task BadPromptsAre400()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        Assert.Contains("a box or at least one point", await ApiServer.Problem(await Prompt(server, id, new { axis = "axial", index = 6 }), 400));
        Assert.Contains("label 1 (object) or 0", await ApiServer.Problem(await Prompt(server, id, new { axis = "axial", index = 6, points = new[] { new[] { 8, 9, 2 } } }), 400));
        Assert.Contains("[x0, y0, x1, y1]", await ApiServer.Problem(await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 1, 2 } }), 400));
        Assert.Contains("12 axial slices", await ApiServer.Problem(await Prompt(server, id, new { axis = "axial", index = 40, box = new[] { 3, 3, 14, 16 } }), 400));
        Assert.Contains("\"png\" or \"rle\"", await ApiServer.Problem(await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 }, mask = "gif" }), 400));
        // Bodies the endpoint cannot bind: the problem names the JSON path and position, not a .NET type.
        async Task<string> Raw(string json) =>
            await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/prompts", new StringContent(json, System.Text.Encoding.UTF8, "application/json")), 400);
        Assert.Contains("not valid JSON", await Raw("{not json"));
        var wrongType = await Raw("""{"axis": "axial", "index": 6, "box": ["a", 3, 14, 16]}""");
        Assert.Contains("at $.box[0] (line 1, byte", wrongType);
        Assert.Contains("wrong type or out of range", wrongType);
        Assert.DoesNotContain("System.", wrongType);
        Assert.Contains("the request has no body", await Raw(""));
        Assert.Contains("at $.index", await Raw("""{"axis": "axial", "index": 99999999999, "box": [3, 3, 14, 16]}"""));
    }

    [Fact]
    public async Task AcceptRelabelRemoveShowInTheLabelVolume()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var answer = await ApiServer.Json(await Prompt(server, id, new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } }));
        string category = answer.GetProperty("category").GetString()!;

        var accepted = await ApiServer.Json(await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/1", null));
        Assert.Equal(Array.IndexOf(TinySegSam.Categories, category) + 1, accepted.GetProperty("label").GetInt32());
        Assert.Contains("give a label", await ApiServer.Problem(await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/1", null), 400));
        var relabelled = await ApiServer.Json(await server.Client.PutAsJsonAsync($"/api/v1/volumes/{id}/objects/1", new { label = 7 }));
        Assert.Equal(7, relabelled.GetProperty("label").GetInt32());

        var table = await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"));
        Assert.Equal(TinySegSam.Categories, table.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var kept = table.GetProperty("objects").EnumerateArray().Single();
        Assert.Equal((1, 7, category), (kept.GetProperty("objectId").GetInt32(), kept.GetProperty("label").GetInt32(), kept.GetProperty("category").GetString()));
        int voxels = kept.GetProperty("voxels").GetInt32();
        Assert.True(voxels > 0, "the tiny model's mask is empty: the label volume would prove nothing");
        Assert.Equal(answer.GetProperty("areaMm2").GetDouble(), voxels * 0.8 * 0.9, 3);

        // nibabel reads the label volume on the input's grid, with the object's voxels at 7.
        var download = await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.nii.gz");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        File.WriteAllBytes(server.Dir.File("labels.nii.gz"), await download.Content.ReadAsByteArrayAsync());
        var check = Python.Run($$"""
            import nibabel as nib, numpy as np
            a = nib.load(r'{{server.Volume}}'); b = nib.load(r'{{server.Dir.File("labels.nii.gz")}}')
            d = np.asarray(b.dataobj)
            print(a.shape == b.shape, np.allclose(a.affine, b.affine), int((d == 7).sum()), int((d != 0).sum()))
            """);
        Assert.Equal($"True True {voxels} {voxels}", check.StdOut.Trim());

        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/v1/volumes/{id}/objects/1")).StatusCode);
        Assert.Empty((await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects").EnumerateArray());
        await ApiServer.Problem(await server.Client.DeleteAsync($"/api/v1/volumes/{id}/objects/1"), 404);
        await ApiServer.Problem(await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/1", null), 404);
    }

    [Fact]
    public async Task OnlyTheLastUnacceptedObjectsAreKept()
    {
        await using var server = ApiServer.Start(o => o with { MaxUnacceptedObjects = 3 });
        string id = await server.OpenVolume();
        var box = new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } };
        await Prompt(server, id, box);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/1", null)).StatusCode);
        for (int i = 2; i <= 5; i++) Assert.Equal(i, (await ApiServer.Json(await Prompt(server, id, box))).GetProperty("objectId").GetInt32());
        // 2 is the oldest of four unaccepted objects: forgotten; 3–5 and the accepted 1 are kept.
        Assert.Contains("only the last 3 objects not accepted", await ApiServer.Problem(await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/2", null), 404));
        Assert.Equal(HttpStatusCode.OK, (await Prompt(server, id, new { refine = 3, points = new[] { new[] { 8, 9, 1 } } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/4", null)).StatusCode);
        var kept = (await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects");
        Assert.Equal([1, 4], kept.EnumerateArray().Select(o => o.GetProperty("objectId").GetInt32()));
    }
}
