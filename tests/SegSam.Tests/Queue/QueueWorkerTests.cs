using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using SegSam.Batch;
using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Tests.Support;
using SegSam.Worker;
using Xunit.Abstractions;

namespace SegSam.Tests.Queue;

/// <summary>
/// `segsam worker` and `segsam submit` as real processes on a real RabbitMQ node (<see cref="RabbitBroker"/>),
/// with a tiny PG-SAM model on small CT-like volumes. Each test uses queues of its own on the class's broker.
/// </summary>
public sealed class QueueWorkerTests(RabbitBroker broker, ITestOutputHelper log) : IClassFixture<RabbitBroker>
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>Four distinct 24×20×12 HU volumes, each under five names: 20 jobs, 4 references.</summary>
    static (string Images, IReadOnlyList<string> Sources) Volumes(TempDir dir)
    {
        string images = Directory.CreateDirectory(dir.File("images")).FullName;
        var sources = new List<string>();
        for (int k = 0; k < 4; k++)
        {
            string source = dir.File($"source{k}.nii.gz");
            NiftiFile.Write(source, TinyPgSam.HuVolume(24, 20, 12, seed: 20 + k), "int16");
            sources.Add(source);
            for (int c = 0; c < 5; c++) File.Copy(source, Path.Combine(images, $"case{k}{c}.nii.gz"));
        }
        return (images, sources);
    }

    static WorkerProcess Worker(RabbitBroker broker, string queue, string model, params string[] more) =>
        new(["worker", "--broker", broker.Url.ToString(), "--queue", queue, "--results", queue + ".results", "--model", model, "--heartbeat", "5", .. more]);

    [Fact]
    public void TwentyJobsOnThreeWorkersSurviveAKilledWorkerAndABrokerRestart()
    {
        using var dir = new TempDir();
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors"));
        var (images, sources) = Volumes(dir);
        string output = dir.File("out"), queue = "chaos.jobs";
        var workers = Enumerable.Range(0, 3).Select(_ => Worker(broker, queue, model)).ToList();
        try
        {
            foreach (var w in workers) w.WaitFor("ready", Patience);
            using var submit = new WorkerProcess("submit", "--broker", broker.Url.ToString(), "--queue", queue, "--results", queue + ".results",
                "--images", images, "--task", "auto", "--out", output, "--wait", "--timeout", "300");

            // SIGKILL the first worker during its first job (the model loads then, so the job is still running).
            string started = workers[0].WaitFor(" started ", Patience);
            workers[0].KillHard();
            string killedJob = started.Split(' ')[2];

            // Restart the broker once some jobs are done; the workers and the waiting submitter reconnect.
            var deadline = DateTime.UtcNow + Patience;
            while (Finished(output) < 6 && DateTime.UtcNow < deadline && !submit.HasExited) Thread.Sleep(100);
            int finishedAtRestart = Finished(output);
            broker.Restart();

            Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(5)), "submit --wait did not end:\n" + submit.Output + Logs(workers));
            Assert.True(submit.ExitCode == 0, $"submit exit {submit.ExitCode}:\n{submit.Output}{Logs(workers)}");
            Assert.Contains("done 20, failed 0, dead-lettered 0", submit.Output);
            log.WriteLine($"{finishedAtRestart} of 20 jobs finished when the broker restarted; worker 0 killed during {killedJob}{Logs(workers)}\n--- submit:\n{submit.Output}");
            Assert.InRange(finishedAtRestart, 6, 19);

            Assert.DoesNotContain($"job {killedJob} done", workers[0].Output);
            Assert.True(workers.Skip(1).Any(w => w.Output.Contains($"job {killedJob} done", StringComparison.Ordinal)), $"job {killedJob} was not redone:{Logs(workers)}");
            // A worker still between reconnect tries when the others finished the queue reconnects a little later.
            foreach (var w in workers.Skip(1)) w.WaitFor("reconnected", TimeSpan.FromMinutes(1));

            // Every output exactly once, whole, and byte for byte what a single `segsam segment` writes.
            var folders = Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(Enumerable.Range(0, 4).SelectMany(k => Enumerable.Range(0, 5).Select(c => $"case{k}{c}")), folders);
            for (int k = 0; k < 4; k++)
            {
                string reference = dir.File($"reference{k}");
                var run = Support.Cli.Run("segment", "--model", model, "--image", sources[k], "--out", reference);
                Assert.True(run.ExitCode == 0, run.ToString());
                byte[] labels = File.ReadAllBytes(Path.Combine(reference, "labels.nii.gz"));
                string json = File.ReadAllText(Path.Combine(reference, "segmentation.json"));
                for (int c = 0; c < 5; c++)
                {
                    string job = Path.Combine(output, $"case{k}{c}");
                    Assert.Equal(["labels.nii.gz", "segmentation.json"], Directory.GetFileSystemEntries(job).Select(Path.GetFileName).Order(StringComparer.Ordinal));
                    Assert.Equal(labels, File.ReadAllBytes(Path.Combine(job, "labels.nii.gz")));
                    string expected = json.Replace(sources[k], Path.Combine(images, $"case{k}{c}.nii.gz"), StringComparison.Ordinal)
                        .Replace(reference, job, StringComparison.Ordinal);
                    Assert.Equal(expected, File.ReadAllText(Path.Combine(job, "segmentation.json")));
                }
            }

            // SIGTERM: each live worker finishes and exits cleanly.
            foreach (var w in workers.Skip(1)) w.Terminate();
            foreach (var w in workers.Skip(1))
            {
                Assert.True(w.WaitForExit(TimeSpan.FromMinutes(1)), w.Output);
                Assert.True(w.ExitCode == 0, w.Output);
                Assert.Contains("stopped", w.Output);
            }
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    [Fact]
    public async Task BadInputFailsAtOnceWhileUnreachableStorageAndMalformedJobsAreDeadLetteredWithTheirReason()
    {
        using var dir = new TempDir();
        string model = TinyPgSam.Save(dir.File("pgsam.safetensors"));
        TorchSharp.torch.manual_seed(4);
        using (var segsam = new SegSamModel(TinySegSam.Config("sawd"))) SegSamCheckpoint.Save(segsam, dir.File("segsam.safetensors"));
        string volume = dir.File("ct.nii.gz"), output = Directory.CreateDirectory(dir.File("out")).FullName;
        NiftiFile.Write(volume, TinyPgSam.HuVolume(), "int16");
        File.WriteAllText(dir.File("broken.nii.gz"), "not a NIfTI file");
        var topology = new QueueTopology("poison.jobs", "poison.jobs.results");
        // Two slots: jobs run side by side on one worker (the models take turns; each job's result is still its own).
        using var worker = Worker(broker, topology.Jobs, model, "--model", dir.File("segsam.safetensors"), "--slots", "2", "--max-attempts", "3", "--retry-delay", "0.2");
        worker.WaitFor("ready", Patience);

        var factory = new ConnectionFactory { Uri = broker.Url };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var results = await QueueReads.ListenToResults(channel, topology);

        SegmentationJob Job(string id, string input, string outRoot) => new() { JobId = id, Input = input, Task = SegmentationJob.AutoTask, Out = outRoot };
        async Task Publish(byte[] body, string id) =>
            await channel.BasicPublishAsync("", topology.Jobs, true, new BasicProperties { Persistent = true, MessageId = id }, body);
        await Publish(Job("missing", dir.File("missing.nii.gz"), output).ToJson(), "missing");
        await Publish(Job("broken", dir.File("broken.nii.gz"), output).ToJson(), "broken");
        await Publish(Job("unreachable", volume, dir.File("no-such-storage")).ToJson(), "unreachable");
        await Publish(Encoding.UTF8.GetBytes("{\"version\": 7, \"jobId\": \"future\"}"), "future");
        await Publish(Job("good", volume, output).ToJson(), "good");
        var prompted = Job("prompted", volume, output) with
        {
            Task = SegmentationJob.PromptedTask,
            Prompts = new JobPrompts { Slice = "axial:2", Boxes = [[3, 3, 14, 16]], Propagate = true },
        };
        await Publish(prompted.ToJson(), "prompted");
        await Publish((prompted with { JobId = "offslice", Prompts = prompted.Prompts! with { Slice = "axial:9" } }).ToJson(), "offslice");

        var got = await QueueReads.Results(channel, results, 6, Patience);
        Assert.True(got.Count == 6, $"results: {string.Join(", ", got.Keys)}\n{worker.Output}");
        Assert.Equal(JobResult.Done, got["good"].Status);
        Assert.True(File.Exists(Path.Combine(output, "good", "labels.nii.gz")));
        Assert.Contains(got["good"].Labels, l => l.Voxels > 0);
        Assert.Equal(JobResult.Failed, got["missing"].Status);
        Assert.Contains("missing.nii.gz", got["missing"].Error);
        Assert.Equal(1, got["missing"].Attempt);
        Assert.Equal(JobResult.Failed, got["broken"].Status);
        Assert.Contains("broken.nii.gz", got["broken"].Error);
        Assert.False(Directory.Exists(Path.Combine(output, "missing")));
        Assert.Equal(JobResult.Failed, got["offslice"].Status);
        Assert.Equal("slice: axial:9: the volume has 5 axial slices (0..4)", got["offslice"].Error);

        // A prompted job writes what `segsam segment` with the same prompts writes, byte for byte.
        Assert.Equal(JobResult.Done, got["prompted"].Status);
        string reference = dir.File("reference");
        var run = Support.Cli.Run("segment", "--model", dir.File("segsam.safetensors"), "--image", volume, "--slice", "axial:2", "--box", "3,3,14,16", "--propagate", "--out", reference);
        Assert.True(run.ExitCode == 0, run.ToString());
        string job = Path.Combine(output, "prompted");
        Assert.Equal(["labels.nii.gz", "overlay.png", "segmentation.json", "slice.png"], Directory.GetFiles(job).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string file in new[] { "labels.nii.gz", "overlay.png", "slice.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, file)), File.ReadAllBytes(Path.Combine(job, file)));
        Assert.Equal(File.ReadAllText(Path.Combine(reference, "segmentation.json")).Replace(reference, job, StringComparison.Ordinal), File.ReadAllText(Path.Combine(job, "segmentation.json")));
        Assert.Equal(got["prompted"].Labels.Select(l => l.Label), [.. JsonDocument.Parse(File.ReadAllText(Path.Combine(job, "segmentation.json"))).RootElement
            .GetProperty("Objects").EnumerateArray().Select(o => o.GetProperty("LabelValue").GetInt32())]);

        Assert.Equal(JobResult.DeadLettered, got["unreachable"].Status);
        Assert.Equal(3, got["unreachable"].Attempt);
        Assert.Contains("not reachable", got["unreachable"].Error);

        // The dead-letter queue holds the unreachable job (after three attempts) and the malformed message, each with its reason.
        var dead = await QueueReads.DeadReasons(channel, topology.Dead, "future", "unreachable");
        Assert.Equal(["future", "unreachable"], dead.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("gave up after 3 attempts", dead["unreachable"]);
        Assert.Contains("no-such-storage", dead["unreachable"]);
        Assert.Contains("version 7 is not supported", dead["future"]);
        Assert.Equal(2, worker.Lines.Count(l => l.Contains("job unreachable attempt", StringComparison.Ordinal)));
        Assert.Equal(0u, await channel.MessageCountAsync(topology.Jobs));
        Assert.Equal(0u, await channel.MessageCountAsync(topology.Retry));

        // SIGTERM during a job: the job finishes, its result is published, and the worker exits cleanly.
        // (A longer volume, so that the signal lands while the job runs.)
        string longer = dir.File("longer.nii.gz");
        NiftiFile.Write(longer, TinyPgSam.HuVolume(24, 20, 80, seed: 9), "int16");
        await Publish(Job("last", longer, output).ToJson(), "last");
        worker.WaitFor("job last started", Patience);
        worker.Terminate();
        Assert.True(worker.WaitForExit(TimeSpan.FromMinutes(1)), worker.Output);
        Assert.True(worker.ExitCode == 0, worker.Output);
        var tail = worker.Lines.SkipWhile(l => !l.Contains("stopping", StringComparison.Ordinal)).ToList();
        Assert.True(tail.Count > 0 && tail.Any(l => l.Contains("job last done", StringComparison.Ordinal)) && tail[^1].EndsWith("stopped", StringComparison.Ordinal), worker.Output);
        JobResult? last = null;
        for (int i = 0; i < 100 && last is null; i++)
        {
            var message = await channel.BasicGetAsync(results, autoAck: true);
            if (message is null) await Task.Delay(100);
            else if (JobResult.Parse(message.Body.Span) is { JobId: "last" } r) last = r;
        }
        Assert.Equal(JobResult.Done, last?.Status);
        Assert.Equal(0u, await channel.MessageCountAsync(topology.Jobs));
    }

    static int Finished(string output) =>
        Directory.Exists(output) ? Directory.GetDirectories(output).Count(d => File.Exists(Path.Combine(d, "segmentation.json"))) : 0;

    static string Logs(IEnumerable<WorkerProcess> workers) =>
        string.Concat(workers.Select((w, i) => $"\n--- worker {i}:\n{w.Output}"));
}
