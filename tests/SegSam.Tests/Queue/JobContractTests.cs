using System.Text;
using SegSam.Batch;
using SegSam.Data;
using SegSam.Tests.Support;

namespace SegSam.Tests.Queue;

/// <summary>The job message (versions 1 and 2), the jobs of a folder, and the CLI's checks before anything is queued; no broker needed.</summary>
public sealed class JobContractTests
{
    static SegmentationJob Job => new() { JobId = "case01", Input = "/shared/in/case01.nii.gz", Task = SegmentationJob.AutoTask, Out = "/shared/out" };

    static SegmentationJob PacsJob => new()
    {
        JobId = "1.2.3.4",
        DicomWeb = new JobDicomWebInput { Url = "http://pacs:8042/dicom-web", Study = "1.2.3", Series = "1.2.3.4" },
        Task = SegmentationJob.AutoTask,
        Out = "/shared/out",
        Formats = ["nifti", "dicom-seg"],
        Store = true,
    };

    [Fact]
    public void APlainJobIsWrittenAsVersion1AndADicomWebJobAsVersion2()
    {
        Assert.Contains("\"version\":1", Encoding.UTF8.GetString(Job.ToJson()));
        string wire = Encoding.UTF8.GetString(PacsJob.ToJson());
        Assert.Contains("\"version\":2", wire);
        Assert.Contains("\"dicomWeb\":{\"url\":\"http://pacs:8042/dicom-web\",\"study\":\"1.2.3\",\"series\":\"1.2.3.4\"}", wire);
        var back = SegmentationJob.Parse(PacsJob.ToJson());
        Assert.Equal(PacsJob.DicomWeb, back.DicomWeb);
        Assert.True(back.Store);
        Assert.Null(back.Input);
        Assert.Equal(SegSam.Inference.ExportFormats.Nifti | SegSam.Inference.ExportFormats.DicomSeg, back.OutputFormats());
        Assert.Equal(SegSam.Inference.ExportFormats.Nifti, SegmentationJob.Parse(Job.ToJson()).ToRequest().Formats);
        Assert.Equal(SegSam.Inference.ExportFormats.RtStruct, (Job with { Formats = ["rtstruct"] }).ToRequest().Formats);
        Assert.Equal("/retrieved/1.2.3.4", back.ToRequest("/retrieved/1.2.3.4").Input);
    }

    [Theory]
    [InlineData("{\"version\":1,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"formats\":[\"dicom-seg\"]}", "need \"version\": 2")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"task\":\"auto\",\"out\":\"/o\"}", "not neither")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"dicomWeb\":{\"url\":\"http://p/dicom-web\",\"study\":\"1.2\"}}", "not both")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"task\":\"auto\",\"out\":\"/o\",\"dicomWeb\":{\"url\":\"http://p/dicom-web\",\"study\":\"1.02\"}}", "dicomWeb.study '1.02' is not a DICOM UID")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"task\":\"auto\",\"out\":\"/o\",\"dicomWeb\":{\"url\":\"http://p/dicom-web\",\"study\":\"1.2\",\"series\":\"x\"}}", "dicomWeb.series 'x' is not a DICOM UID")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"task\":\"auto\",\"out\":\"/o\",\"dicomWeb\":{\"url\":\"file:///etc\",\"study\":\"1.2\"}}", "is not an http(s) URL")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"task\":\"auto\",\"out\":\"/o\",\"dicomWeb\":{\"url\":\"http://p/dicom-web\",\"study\":\"1.2\"},\"store\":true}", "store needs a DICOM format")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"formats\":[\"dicom-seg\"],\"store\":true}", "this job has an input path")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"formats\":[\"png\"]}", "format 'png' is not nifti, dicom-seg or rtstruct")]
    [InlineData("{\"version\":2,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"formats\":[]}", "formats is empty")]
    public void AVersion2JobWithBadDicomWebFieldsIsRefusedWithTheReason(string message, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SegmentationJob.Parse(Encoding.UTF8.GetBytes(message)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AJobSurvivesTheWireAndWritesUnderItsOwnFolder()
    {
        var prompted = Job with { Task = SegmentationJob.PromptedTask, Prompts = new JobPrompts { Slice = "coronal:7", Boxes = [[1, 2, 3, 4]], Points = [[5, 6, 1]], Propagate = true, Mirror = true, Range = [3, 9] } };
        Assert.Contains("\"mirror\":true", Encoding.UTF8.GetString(prompted.ToJson()));
        Assert.Null((Job with { Task = SegmentationJob.PromptedTask, Prompts = new JobPrompts { Boxes = [[1, 2, 3, 4]] } }).ToRequest().TestTimeMirroring);
        var back = SegmentationJob.Parse(prompted.ToJson());
        Assert.Equal("/shared/out/case01", back.OutputDir);
        Assert.Contains("\"jobId\":\"case01\"", Encoding.UTF8.GetString(prompted.ToJson()));
        var request = back.ToRequest();
        Assert.Equal((1, 7), request.Slice);
        Assert.Equal((3, 9), request.Range);
        Assert.True(request.Propagate);
        Assert.True(request.TestTimeMirroring);
        Assert.Equal(2, request.Prompts.Count);
        Assert.Equal(new BoxPrompt(1, 2, 3, 4), request.Prompts[0].Box);
        Assert.Equal(1, request.Prompts[1].Points.Single().Label);
        Assert.Equal("/shared/out/case01", request.OutputDir);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"jobId\":\"a\"}", "no \"version\"")]
    [InlineData("{\"version\":3,\"jobId\":\"a\"}", "version 3 is not supported")]
    [InlineData("{\"version\":1,\"jobId\":\"../up\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\"}", "jobId '../up'")]
    [InlineData("{\"version\":1,\"jobId\":\"a\",\"input\":\"rel/a.nii\",\"task\":\"auto\",\"out\":\"/o\"}", "must be an absolute path")]
    [InlineData("{\"version\":1,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"guess\",\"out\":\"/o\"}", "task 'guess'")]
    [InlineData("{\"version\":1,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"prompted\",\"out\":\"/o\"}", "needs prompts")]
    [InlineData("{\"version\":1,\"jobId\":\"a\",\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\",\"prompts\":{\"boxes\":[[1,2,3,4]]}}", "takes no prompts")]
    [InlineData("{\"version\":1,\"input\":\"/a\",\"task\":\"auto\",\"out\":\"/o\"}", "not valid JSON")]
    public void MalformedJobsAreRefusedWithTheReason(string message, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => SegmentationJob.Parse(Encoding.UTF8.GetBytes(message)));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void APromptThatIsNotNumbersOfTheRightCountNamesItsField()
    {
        var job = Job with { Task = SegmentationJob.PromptedTask, Prompts = new JobPrompts { Boxes = [[1, 2, 3]] } };
        Assert.Equal("box", Assert.Throws<ArgumentException>(() => job.ToRequest()).ParamName);
        job = Job with { Task = SegmentationJob.PromptedTask, Prompts = new JobPrompts { Points = [[1, 2, 3]] } };
        Assert.Equal("points", Assert.Throws<ArgumentException>(() => job.ToRequest()).ParamName);
        job = Job with { Task = SegmentationJob.PromptedTask, Prompts = new JobPrompts { Points = [[1, 2, 1]], Slice = "up:3" } };
        Assert.Equal("slice", Assert.Throws<ArgumentException>(() => job.ToRequest()).ParamName);
    }

    [Fact]
    public void AFolderGivesOneJobPerVolumeNamedByItsCase()
    {
        using var dir = new TempDir();
        string images = Directory.CreateDirectory(dir.File("images")).FullName;
        foreach (var name in new[] { "b.nii.gz", "a b.nii", "c.mha", "notes.txt", "c.raw" }) File.WriteAllText(Path.Combine(images, name), "x");
        Directory.CreateDirectory(Path.Combine(images, "series1"));
        File.WriteAllText(Path.Combine(images, "series1", "1.dcm"), "x");
        Directory.CreateDirectory(Path.Combine(images, "empty"));
        var jobs = JobBatch.FromFolder(images, Job);
        Assert.Equal(["a_b", "b", "c", "series1"], jobs.Select(j => j.JobId));
        Assert.Equal(Path.Combine(images, "series1"), jobs[3].Input);
        Assert.All(jobs, j => Assert.Equal("/shared/out", j.Out));

        File.WriteAllText(Path.Combine(images, "b.nii"), "x");
        Assert.Contains("would both be job b", Assert.Throws<InvalidDataException>(() => JobBatch.FromFolder(images, Job)).Message);
        File.Delete(Path.Combine(images, "b.nii"));

        File.WriteAllText(dir.File("prompts.json"), "{\"b.nii.gz\": {\"boxes\": [[1,2,3,4]]}, \"a_b\": {\"points\": [[1,2,1]]}, \"c\": {\"boxes\": [[0,0,5,5]]}}");
        var prompted = Job with { Task = SegmentationJob.PromptedTask };
        Assert.Contains("no entry for series1", Assert.Throws<InvalidDataException>(() => JobBatch.FromFolder(images, prompted, JobBatch.ReadPrompts(dir.File("prompts.json")))).Message);
        Directory.Delete(Path.Combine(images, "series1"), recursive: true);
        var withPrompts = JobBatch.FromFolder(images, prompted, JobBatch.ReadPrompts(dir.File("prompts.json")));
        Assert.Equal([1, 2, 3, 4], withPrompts.Single(j => j.JobId == "b").Prompts!.Boxes.Single());
    }

    [Theory]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "IMAGES", "--task", "prompted", "--out", "OUT" }, 2, "--task prompted needs prompts")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "IMAGES", "--task", "auto", "--out", "OUT", "--box", "1,2,3,4" }, 2, "--task auto is prompt-free")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "IMAGES", "--task", "auto", "--out", "OUT", "--mirror" }, 2, "--task auto is prompt-free")]
    [InlineData(new[] { "submit", "--broker", "http://localhost/", "--images", "IMAGES", "--task", "auto", "--out", "OUT" }, 2, "--broker expects amqp://")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "NOWHERE", "--task", "auto", "--out", "OUT" }, 3, "image folder not found")]
    [InlineData(new[] { "worker", "--broker", "amqp://localhost/", "--model", "NOWHERE/m.safetensors" }, 3, "model not found")]
    [InlineData(new[] { "worker", "--broker", "amqp://localhost/", "--slots", "0" }, 2, "--slots must be 1..64")]
    [InlineData(new[] { "worker", "--broker", "amqp://localhost/", "--dicomweb", "ftp://pacs/dicom-web" }, 2, "--dicomweb: DICOMweb URL 'ftp://pacs/dicom-web' is not an http(s) URL")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--dicomweb", "http://pacs/dicom-web", "--task", "auto", "--out", "OUT" }, 2, "--dicomweb needs --study UID")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "IMAGES", "--study", "1.2", "--task", "auto", "--out", "OUT" }, 2, "--study, --series and --store go with --dicomweb")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--images", "IMAGES", "--out-format", "png", "--task", "auto", "--out", "OUT" }, 2, "--out-format: 'png' is not nifti, dicom-seg or rtstruct")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--dicomweb", "http://pacs/dicom-web", "--study", "1.02", "--task", "auto", "--out", "OUT" }, 3, "dicomWeb.study '1.02' is not a DICOM UID")]
    [InlineData(new[] { "submit", "--broker", "amqp://localhost/", "--dicomweb", "http://pacs/dicom-web", "--study", "1.2", "--store", "--task", "auto", "--out", "OUT" }, 3, "store needs a DICOM format")]
    public void TheCliRefusesABadBatchBeforeTouchingTheBroker(string[] args, int code, string message)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        File.WriteAllText(dir.File("images/a.nii.gz"), "x");
        var run = Support.Cli.Run([.. args.Select(a => a.Replace("IMAGES", dir.File("images")).Replace("NOWHERE", dir.File("nowhere")).Replace("OUT", dir.File("out")))]);
        Assert.True(run.ExitCode == code, run.ToString());
        Assert.Contains(message, run.StdErr);
    }
}
