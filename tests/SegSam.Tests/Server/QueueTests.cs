using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using SegSam.Server;

namespace SegSam.Tests.Server;

/// <summary>The bounded inference queue (429 when full, 503 while stopping, aborted requests leave it) and the volume leases the TTL sweeper respects.</summary>
public sealed class QueueTests
{
    static readonly object Box = new { axis = "axial", index = 6, box = new[] { 3, 3, 14, 16 }, mask = "rle" };

    [Fact]
    public async Task FiftyConcurrentPromptsAreAnsweredOrTurnedAwayNeverFailed()
    {
        await using var server = ApiServer.Start(o => o with { MaxQueuedInferences = 8 });
        string id = await server.OpenVolume();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box))));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{(int)r.StatusCode}"));
        var answers = await Task.WhenAll(responses.Where(r => r.StatusCode == HttpStatusCode.OK).Select(ApiServer.Json));
        Assert.NotEmpty(answers);
        // The same prompt gives the same answer whichever request ran it, and every answer has its own object id.
        Assert.Single(answers.Select(a => string.Join(",", a.GetProperty("maskRle").EnumerateArray().Select(c => c.GetInt32())) + a.GetProperty("category").GetString()).Distinct());
        Assert.Equal(answers.Length, answers.Select(a => a.GetProperty("objectId").GetInt32()).Distinct().Count());
        foreach (var turnedAway in responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests))
            Assert.Contains("queue is full", await ApiServer.Problem(turnedAway, 429));
        var queue = server.Service<InferenceQueue>();
        Assert.Equal((0, 0), (queue.Running, queue.Waiting));
    }

    [Fact]
    public async Task PromptsBeyondTheQueueAre429WithRetryAfter()
    {
        await using var server = ApiServer.Start(o => o with { InferenceSlots = 1, MaxQueuedInferences = 0 }, pgsam: true);
        string id = await server.OpenVolume();
        var queue = server.Service<InferenceQueue>();
        using (await queue.EnterAsync(CancellationToken.None))
        {
            var full = await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box);
            Assert.Contains("queue is full", await ApiServer.Problem(full, 429));
            Assert.Equal(TimeSpan.FromSeconds(1), full.Headers.RetryAfter?.Delta);
            await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/segment-all", null), 429);
            // Work without a model call is not queued.
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box)).StatusCode);
        // A refused job gave its volume lease back.
        Assert.Equal(1, server.Service<VolumeRegistry>().Expire(DateTime.UtcNow.AddHours(1)));
    }

    [Fact]
    public async Task OnceStoppingNewModelWorkIs503()
    {
        await using var server = ApiServer.Start(pgsam: true);
        string id = await server.OpenVolume();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box)).StatusCode);
        server.Service<IHostApplicationLifetime>().StopApplication();
        Assert.Contains("shutting down", await ApiServer.Problem(await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box), 503));
        await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/objects/1/propagate", null), 503);
        await ApiServer.Problem(await server.Client.PostAsync($"/api/v1/volumes/{id}/segment-all", null), 503);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json")).StatusCode);
    }

    [Fact]
    public async Task AnAbortedRequestGivesBackItsPlaceInTheQueue()
    {
        await using var server = ApiServer.Start(o => o with { InferenceSlots = 1, MaxQueuedInferences = 1 });
        string id = await server.OpenVolume();
        var queue = server.Service<InferenceQueue>();
        var held = await queue.EnterAsync(CancellationToken.None);
        using var abort = new CancellationTokenSource();
        var waiting = server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box, abort.Token);
        await ApiServer.Until(() => queue.Waiting == 1, "the prompt waits for the held slot");
        abort.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await ApiServer.Until(() => queue.Waiting == 0, "the aborted prompt leaves the queue");
        held.Dispose();
        Assert.Equal(0, queue.Running);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", Box)).StatusCode);

        // The same with a token cancelled before the call: no slot taken, nothing left waiting.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.EnterAsync(cancelled.Token));
        Assert.Equal((0, 0), (queue.Running, queue.Waiting));
    }

    [Fact]
    public async Task ALeasedVolumeOutlivesExpiryAndCloseUntilReleased()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        var registry = server.Service<VolumeRegistry>();
        var lease = registry.Lease(id);
        // The sweeper's race: a request holds the volume, the TTL has passed; it must not be disposed under the request.
        Assert.Equal(0, registry.Expire(DateTime.UtcNow.AddHours(1)));
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/v1/volumes/{id}")).StatusCode);
        await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.json"), 404);
        Assert.Throws<ApiProblem>(() => registry.Lease(id));
        Assert.Equal(20, lease.Entry.Session.Slice(2, 6).Height); // still usable by the lease holder
        lease.Dispose();
        lease.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => lease.Entry.Session.Slice(2, 6));
        Assert.Equal(0, registry.Count);
    }
}
