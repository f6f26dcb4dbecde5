using System.Net;
using System.Net.Http.Json;
using SegSam.Server;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>Propagate and segment-all as jobs: 202 with Location, progress to done, cancel, what the result registers, and their 400/404s.</summary>
public sealed class JobApiTests
{
    static async Task<JsonElementAndLocation> StartJob(ApiServer server, string path, object? body = null)
    {
        var response = body is null ? await server.Client.PostAsync(path, null) : await server.Client.PostAsJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var job = await ApiServer.Json(response);
        string location = response.Headers.Location!.ToString();
        Assert.Equal($"/api/v1/jobs/{job.GetProperty("id").GetString()}", location);
        return new(job, location);
    }

    sealed record JsonElementAndLocation(System.Text.Json.JsonElement Job, string Location);

    [Fact]
    public async Task PropagationRunsAsAJobAndTheObjectBecomesThreeDimensionalUnderItsId()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var answer = await ApiServer.Json(await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } }));
        double area = answer.GetProperty("areaMm2").GetDouble();
        Assert.Equal(5, (await ApiServer.Json(await server.Client.PutAsJsonAsync($"/api/v1/volumes/{id}/objects/1", new { label = 5 }))).GetProperty("label").GetInt32());

        var (job, location) = await StartJob(server, $"/api/v1/volumes/{id}/objects/1/propagate", new { first = 2, last = 10 });
        Assert.Equal(("propagate", id), (job.GetProperty("kind").GetString(), job.GetProperty("volumeId").GetString()));
        Assert.Contains(job.GetProperty("state").GetString(), new[] { "queued", "running", "done" });
        var done = await server.Finished(location);
        Assert.Equal("done", done.GetProperty("state").GetString());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        Assert.False(done.TryGetProperty("error", out _));
        var result = done.GetProperty("result");
        Assert.Equal(1, result.GetProperty("objectId").GetInt32());
        int first = result.GetProperty("firstSlice").GetInt32(), last = result.GetProperty("lastSlice").GetInt32(), voxels = result.GetProperty("voxels").GetInt32();
        Assert.InRange(first, 2, 6);
        Assert.InRange(last, 6, 10);
        Assert.True(voxels * 0.8 * 0.9 >= area - 1e-6, "the 3D object holds at least the prompted slice");
        Assert.Equal(answer.GetProperty("category").GetString(), result.GetProperty("category").GetString());

        // The accepted 2D object was replaced by the 3D one, keeping its label.
        var kept = (await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects").EnumerateArray().Single();
        Assert.Equal((1, 5, first, last, voxels), (kept.GetProperty("objectId").GetInt32(), kept.GetProperty("label").GetInt32(),
            kept.GetProperty("firstSlice").GetInt32(), kept.GetProperty("lastSlice").GetInt32(), kept.GetProperty("voxels").GetInt32()));

        // Without a body the whole volume is the range; a new prompt's 3D object is then accepted like any.
        await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 5, box = new[] { 3, 3, 14, 16 } });
        var whole = await server.Finished((await StartJob(server, $"/api/v1/volumes/{id}/objects/2/propagate")).Location);
        Assert.Equal("done", whole.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/2", null)).StatusCode);
        var objects = (await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects");
        Assert.Equal(whole.GetProperty("result").GetProperty("voxels").GetInt32(), objects[1].GetProperty("voxels").GetInt32());
    }

    [Fact]
    public async Task JobErrorsAre404And400AndALibraryRefusalFailsTheJob()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/objects/1/propagate", null), 404);
        await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes/nope/objects/1/propagate", null), 404);
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/jobs/nope"), 404);
        await ApiServer.Problem(await server.Client.DeleteAsync("/api/v1/jobs/nope"), 404);
        Assert.Contains("without a PG-SAM model", await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/segment-all", null), 400));

        await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } });
        var failed = await server.Finished((await StartJob(server, $"/api/v1/volumes/{id}/objects/1/propagate", new { first = 8, last = 10 })).Location);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("must contain the prompted slice 6", failed.GetProperty("error").GetString());
        Assert.False(failed.TryGetProperty("result", out _));
        using var lease = server.Service<VolumeRegistry>().Lease(id);
        Assert.Equal(1, lease.Entry.Leases); // this one: the failed job gave its own back
    }

    [Fact]
    public async Task SegmentAllAcceptsOneRemovableObjectPerStructure()
    {
        await using var server = ApiServer.Start(pgsam: true);
        var info = await ApiServer.Json(await server.Client.GetAsync("/api/v1/info"));
        Assert.Equal(new (string?, string?)[] { ("tiny", "SEG-SAM"), ("tiny-pgsam", "PG-SAM") },
            info.GetProperty("models").EnumerateArray().Select(m => (m.GetProperty("name").GetString(), m.GetProperty("kind").GetString())));
        Assert.Equal(TinySegSam.Categories, info.GetProperty("models")[1].GetProperty("categories").EnumerateArray().Select(c => c.GetString()));

        var opened = await ApiServer.Json(await server.Upload(server.Volume, "scan.nii.gz"));
        Assert.Equal(("tiny", "tiny-pgsam"), (opened.GetProperty("model").GetString(), opened.GetProperty("pgsamModel").GetString()));
        string id = opened.GetProperty("id").GetString()!;
        var (job, location) = await StartJob(server, $"/api/v1/volumes/{id}/segment-all");
        Assert.Equal("segment-all", job.GetProperty("kind").GetString());
        var done = await server.Finished(location);
        Assert.Equal("done", done.GetProperty("state").GetString());
        var found = done.GetProperty("result").GetProperty("objects").EnumerateArray().ToList();
        Assert.True(found.Count > 1, "the tiny random PG-SAM should find several structures");
        foreach (var o in found)
        {
            string category = o.GetProperty("category").GetString()!;
            Assert.Equal(Array.IndexOf(TinySegSam.Categories, category) + 1, o.GetProperty("label").GetInt32());
            Assert.True(o.GetProperty("voxels").GetInt32() > 0);
        }

        var table = (await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects").EnumerateArray().ToList();
        Assert.Equal(found.Select(o => (o.GetProperty("objectId").GetInt32(), o.GetProperty("voxels").GetInt32())),
            table.Select(o => (o.GetProperty("objectId").GetInt32(), o.GetProperty("voxels").GetInt32())));
        int removed = found[0].GetProperty("objectId").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/v1/volumes/{id}/objects/{removed}")).StatusCode);
        var after = (await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects").EnumerateArray();
        Assert.DoesNotContain(removed, after.Select(o => o.GetProperty("objectId").GetInt32()));
        // A structure has no prompt to refine or propagate.
        Assert.Contains("segment-all, not prompted", await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/objects/{found[1].GetProperty("objectId").GetInt32()}/propagate", null), 400));
    }

    [Fact]
    public async Task WithOnlyAPgSamModelPromptsAre400AndSlicesNeedAWindow()
    {
        await using var server = ApiServer.Start(segsam: false, pgsam: true);
        string id = await server.OpenVolume();
        Assert.Contains("without a SEG-SAM model", await ApiServer.Problem(
            await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 } }), 400));
        Assert.Contains("?window=", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png"), 400));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png?window=0,400")).StatusCode);
        Assert.Contains("no SEG-SAM model named 'tiny-pgsam'", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes/builtin?model=tiny-pgsam", null), 400));
        Assert.Equal("done", (await server.Finished((await StartJob(server, $"/api/v1/volumes/{id}/segment-all?axis=coronal")).Location)).GetProperty("state").GetString());
        var labels = await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.nii.gz");
        Assert.Equal(HttpStatusCode.OK, labels.StatusCode);
        Assert.NotEmpty((await ApiServer.Json(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"))).GetProperty("objects").EnumerateArray());
    }

    [Fact]
    public async Task AQueuedJobCancelsAndGivesBackItsPlaceAndItsVolume()
    {
        await using var server = ApiServer.Start(o => o with { InferenceSlots = 1 }, pgsam: true);
        string id = await server.OpenVolume();
        var queue = server.Service<InferenceQueue>();
        var held = await queue.EnterAsync(CancellationToken.None);
        var (job, location) = await StartJob(server, $"/api/v1/volumes/{id}/segment-all");
        Assert.Equal("queued", job.GetProperty("state").GetString());
        Assert.Equal(0.0, job.GetProperty("progress").GetDouble());
        await ApiServer.Until(() => queue.Waiting == 1, "the job waits for the held slot");
        Assert.Equal("queued", (await ApiServer.Json(await server.Client.GetAsync(location))).GetProperty("state").GetString());

        var cancel = await server.Client.DeleteAsync(location);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var cancelled = await server.Finished(location);
        Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        Assert.Equal(0, queue.Waiting);
        Assert.Equal(1, queue.Running); // only the slot the test holds
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync(location)).StatusCode);
        // The job's lease is back: the volume can expire.
        await ApiServer.Until(() => server.Service<VolumeRegistry>().Expire(DateTime.UtcNow.AddHours(1)) == 1, "the cancelled job's lease is released");
        held.Dispose();
        Assert.Equal(0, queue.Running);
    }

    [Fact]
    public async Task ClosingAVolumeCancelsItsJobs()
    {
        await using var server = ApiServer.Start(o => o with { InferenceSlots = 1 }, pgsam: true);
        string id = await server.OpenVolume();
        using (await server.Service<InferenceQueue>().EnterAsync(CancellationToken.None))
        {
            var (_, location) = await StartJob(server, $"/api/v1/volumes/{id}/segment-all");
            Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/v1/volumes/{id}")).StatusCode);
            Assert.Equal("cancelled", (await server.Finished(location)).GetProperty("state").GetString());
        }
        Assert.Equal(0, server.Service<VolumeRegistry>().Count);
    }
}
