using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;
using SegSam.Batch;
using SegSam.Data.DicomWeb;
using SegSam.Inference;
using SegSam.Tests.DicomWeb;
using SegSam.Tests.Support;
using SegSam.Worker;

namespace SegSam.Tests.Queue;

/// <summary>
/// DICOMweb jobs (message version 2): a `segsam worker` process takes its input from a real Orthanc
/// (started here, so that the SEG it stores cannot disturb the shared PACS tests) and stores the
/// DICOM SEG back; an unknown study fails at once, a PACS that is down is retried then dead-lettered,
/// and a URL the worker was not started with is refused.
/// </summary>
public sealed class DicomWebJobTests(RabbitBroker broker) : IClassFixture<RabbitBroker>
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    const string Study = "1.2.826.0.1.3680043.8.498.7101", Series = "1.2.826.0.1.3680043.8.498.7101.1";

    [Fact]
    public async Task ADicomWebJobStoresItsSegOnThePacsWhileUnknownStudiesFailAndADownPacsIsDeadLettered()
    {
        using var dir = new TempDir();
        using var orthanc = new OrthancServer();
        PacsFixture.WriteCtSeries(Directory.CreateDirectory(dir.File("ct")).FullName, Study, Series, "for a job", 1, 8);
        orthanc.Upload(Directory.GetFiles(dir.File("ct")));
        string model = SegSam.Tests.Cli.SegmentCliTests.TinyModel(dir);
        string down = $"http://127.0.0.1:{ClosedPort()}/dicom-web";
        string output = Directory.CreateDirectory(dir.File("out")).FullName;
        var topology = new QueueTopology("pacs.jobs", "pacs.jobs.results");
        using var worker = new WorkerProcess("worker", "--broker", broker.Url.ToString(), "--queue", topology.Jobs, "--results", topology.Results,
            "--model", model, "--heartbeat", "5", "--max-attempts", "2", "--retry-delay", "0.2", "--dicomweb", orthanc.DicomWebUrl, "--dicomweb", down);
        worker.WaitFor("ready", Patience);

        var factory = new ConnectionFactory { Uri = broker.Url };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var results = await QueueReads.ListenToResults(channel, topology);

        // The DICOMweb job through `segsam submit`, waiting for its result.
        var submit = Support.Cli.Run("submit", "--broker", broker.Url.ToString(), "--queue", topology.Jobs, "--results", topology.Results,
            "--dicomweb", orthanc.DicomWebUrl, "--study", Study, "--series", Series, "--store", "--out-format", "nifti,dicom-seg",
            "--task", "prompted", "--box", "14,10,30,24", "--propagate", "--out", output, "--wait", "--timeout", "150");
        Assert.True(submit.ExitCode == 0, $"{submit}\n{worker.Output}");
        Assert.Contains("done 1, failed 0, dead-lettered 0", submit.StdOut);

        SegmentationJob Job(string id, string url, string study) => new()
        {
            JobId = id,
            DicomWeb = new JobDicomWebInput { Url = url, Study = study },
            Task = SegmentationJob.PromptedTask,
            Prompts = new JobPrompts { Boxes = [[14, 10, 30, 24]] },
            Out = output,
        };
        async Task Publish(SegmentationJob job) =>
            await channel.BasicPublishAsync("", topology.Jobs, true, new BasicProperties { Persistent = true, MessageId = job.JobId }, job.ToJson());
        await Publish(Job("unknown", orthanc.DicomWebUrl, "1.2.826.0.1.3680043.8.498.7199"));
        await Publish(Job("down", down, Study));
        await Publish(Job("stranger", "http://127.0.0.1:9/dicom-web", Study));

        var got = await QueueReads.Results(channel, results, 4, Patience);
        Assert.True(got.Count == 4, $"results: {string.Join(", ", got.Keys)}\n{worker.Output}");

        // Done: the outputs are what `segsam segment --dicomweb` writes, and the SEG is now on the PACS.
        var done = got[Series];
        Assert.Equal(JobResult.Done, done.Status);
        string job = Path.Combine(output, Series);
        Assert.Contains(Path.Combine(job, SegmentationSession.DicomSegFileName), done.Files);
        var stored = Assert.Single(done.Stored!);
        string reference = dir.File("reference");
        var run = Support.Cli.Run("segment", "--dicomweb", orthanc.DicomWebUrl, "--study", Study, "--series", Series, "--model", model,
            "--box", "14,10,30,24", "--propagate", "--out-format", "nifti,dicom-seg", "--out", reference);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string file in new[] { "labels.nii.gz", "slice.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, file)), File.ReadAllBytes(Path.Combine(job, file)));
        var seg = new DicomWebClient(orthanc.DicomWebUrl).SearchSeries(Study).Where(s => s.Modality == "SEG").ToList();
        Assert.Single(seg);
        Assert.NotEmpty(orthanc.InstanceFile(stored));
        // The retrieved series was deleted after the run.
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "segsam-job-*"), d => Directory.Exists(Path.Combine(d, Series)));

        // Unknown study: failed on the first attempt, nothing written.
        Assert.Equal(JobResult.Failed, got["unknown"].Status);
        Assert.Equal(1, got["unknown"].Attempt);
        Assert.Contains("no study with Study Instance UID 1.2.826.0.1.3680043.8.498.7199", got["unknown"].Error);
        Assert.False(Directory.Exists(Path.Combine(output, "unknown")));

        // A URL the worker was not started with: refused without a request.
        Assert.Equal(JobResult.Failed, got["stranger"].Status);
        Assert.Contains("this worker may not reach http://127.0.0.1:9/dicom-web/", got["stranger"].Error);

        // The PACS down: retried, then dead-lettered with the reason.
        Assert.Equal(JobResult.DeadLettered, got["down"].Status);
        Assert.Equal(2, got["down"].Attempt);
        Assert.Contains("cannot reach", got["down"].Error);
        var dead = await QueueReads.DeadReasons(channel, topology.Dead, "down");
        Assert.Contains("cannot reach", dead.GetValueOrDefault("down"));
        Assert.Equal(1, worker.Lines.Count(l => l.Contains("job down attempt", StringComparison.Ordinal)));
    }

    /// <summary>A loopback port nobody listens on (bound, then released).</summary>
    static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
