using System.Diagnostics;
using SegSam.Checkpoints;
using SegSam.Data.DicomWeb;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;

namespace SegSam.Batch;

/// <summary>
/// Runs batch jobs on one machine through the same library call as `segsam segment`
/// (<see cref="SegmentationRun.Execute"/>), so a job's files are byte for byte what `segment` writes
/// for the same input and model. It holds the worker's models (each loaded on first use and kept)
/// and sorts failures: bad input or a job that does not fit the model is a <see cref="JobResult.Failed"/>
/// result with the message the CLI would print (retrying cannot help); unreachable output storage
/// or an I/O error is a <see cref="TransientJobException"/> (retrying may help).
/// <para>
/// Outputs: every file is written atomically (a temporary file renamed over the target) into
/// Out/JobId/, segmentation.json last, so a reader sees whole files only and segmentation.json
/// marks a complete set; a second run of the job rewrites the same paths with the same bytes.
/// Thread safety: jobs may run on several threads; each model runs one job at a time.
/// </para>
/// <para>
/// DICOMweb jobs: the series is retrieved into a temporary folder named by its Series Instance UID
/// (as `segment --dicomweb` does, so the outputs match), deleted afterwards. Only the services in
/// <see cref="DicomWebServices"/> are reached: a job message may come from anyone who can publish
/// on the queue, and must not make the worker fetch from (or send its credentials to) any URL.
/// A PACS that cannot be reached, times out or answers 5xx (or 408/429) is transient; any other
/// 4xx (an unknown study or series: 404) fails the job.
/// </para>
/// </summary>
public sealed class JobRunner : IDisposable
{
    readonly IReadOnlyList<(string Path, bool PromptFree)> models;
    readonly EncoderPrecision precision;
    readonly Dictionary<string, IDisposable> loaded = [];
    readonly Lock gate = new();
    bool disposed;

    /// <summary>
    /// A runner with these model files (SEG-SAM for prompted jobs, PG-SAM for auto jobs); each is
    /// checked to be one of the two now and loaded when a job first needs it.
    /// </summary>
    public JobRunner(IReadOnlyList<string> modelPaths, EncoderPrecision precision = EncoderPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(modelPaths);
        if (modelPaths.Count == 0) throw new ArgumentException("a job runner needs at least one model");
        models = [.. modelPaths.Select(p =>
        {
            if (!File.Exists(p)) throw new FileNotFoundException($"model not found: {p}", p);
            bool promptFree = PgSamModelCheckpoint.IsPgSamModel(p);
            if (!promptFree && !SegSamCheckpoint.IsSegSamCheckpoint(p)) throw new InvalidDataException($"{p}: neither a SEG-SAM nor a PG-SAM model");
            return (Path.GetFullPath(p), promptFree);
        })];
        this.precision = precision;
    }

    /// <summary>The DICOMweb service roots DICOMweb jobs may name (`segsam worker --dicomweb URL`); none by default.</summary>
    public IReadOnlyList<string> DicomWebServices
    {
        get => services;
        init => services = [.. value.Select(u => DicomWebClient.ServiceRoot(u).AbsoluteUri)];
    }
    readonly IReadOnlyList<string> services = [];

    /// <summary>The credentials for <see cref="DicomWebServices"/> (the worker's, e.g. <see cref="DicomWebCredentials.FromEnvironment"/>; never from a message).</summary>
    public DicomWebCredentials DicomWebCredentials { get; init; } = DicomWebCredentials.None;

    /// <summary>Runs <paramref name="job"/>: a done or failed result, or a <see cref="TransientJobException"/>; cancelling throws <see cref="OperationCanceledException"/>.</summary>
    public JobResult Run(SegmentationJob job, int attempt = 1, string? worker = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var total = Stopwatch.StartNew();
        var result = new JobResult { JobId = job.JobId, Status = JobResult.Failed, OutputDir = job.OutputDir, Attempt = attempt, Worker = worker };
        try
        {
            job.Check();
        }
        catch (InvalidDataException e)
        {
            return result with { Error = e.Message };
        }
        // The output root is the shared storage: when it is missing the mount is down, not the job wrong.
        if (!Directory.Exists(job.Out)) throw new TransientJobException($"output storage {job.Out} is not reachable (no such folder)");
        try
        {
            Directory.CreateDirectory(job.OutputDir);
            RemoveAbandonedTemporaries(job.OutputDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TransientJobException($"cannot write the job's folder {job.OutputDir}: {e.Message}", e);
        }
        string? scratch = null;
        try
        {
            var (path, promptFree) = Choose(job); // before a retrieval that would be wasted on a job no model here fits
            DicomWebClient? pacs = null;
            string? input = null;
            if (job.DicomWeb is { } source)
            {
                string root = DicomWebClient.ServiceRoot(source.Url).AbsoluteUri;
                if (!services.Contains(root))
                    throw new ArgumentException($"this worker may not reach {root} (it allows {(services.Count == 0 ? "no DICOMweb service" : string.Join(", ", services))}; start it with --dicomweb URL)", "dicomWeb.url");
                pacs = new DicomWebClient(root, DicomWebCredentials);
                var series = pacs.ChooseSeries(source.Study, source.Series);
                scratch = Directory.CreateTempSubdirectory("segsam-job-").FullName;
                // Named by the series UID: PG-SAM's case id comes from the input's name, as in `segment --dicomweb`.
                input = pacs.RetrieveSeries(source.Study, series, Path.Combine(scratch, series.SeriesInstanceUid)).Folder;
            }
            var request = job.ToRequest(input) with { ModelName = Path.GetFileNameWithoutExtension(path) };
            var load = Stopwatch.StartNew();
            var model = Load(path, promptFree);
            double loadMs = load.Elapsed.TotalMilliseconds;
            var segment = Stopwatch.StartNew();
            var outcome = promptFree
                ? SegmentationRun.Execute(request, null, (PgSamModel)model, cancel: cancel)
                : SegmentationRun.Execute(request, (SegSamModel)model, null, cancel: cancel);
            IReadOnlyList<string>? stored = null;
            if (job.Store && pacs is not null)
            {
                var objects = DicomWebClient.Part10Files(outcome.Files);
                if (objects.Count == 0) throw new InvalidDataException($"store: this run wrote no DICOM object to store (it wrote {string.Join(", ", outcome.Files.Select(Path.GetFileName))})");
                stored = pacs.Store(objects).StoredSopInstanceUids;
            }
            return result with
            {
                Status = JobResult.Done,
                Files = outcome.Files,
                Labels = Labels(outcome),
                Stored = stored,
                Timings = new JobTimings(loadMs, segment.Elapsed.TotalMilliseconds, total.Elapsed.TotalMilliseconds),
            };
        }
        catch (DicomWebException e) when (e.StatusCode is null or >= 500 or 408 or 429)
        {
            throw new TransientJobException($"PACS: {e.Message}", e);
        }
        catch (Exception e) when (e is not (OperationCanceledException or TransientJobException) && (Permanent(e) || e is DicomWebException))
        {
            RemoveIfEmpty(job.OutputDir);
            return result with { Error = Message(e), Timings = new JobTimings(0, 0, total.Elapsed.TotalMilliseconds) };
        }
        catch (IOException e)
        {
            throw new TransientJobException($"I/O error: {e.Message}", e);
        }
        finally
        {
            if (scratch is not null)
            {
                try { Directory.Delete(scratch, true); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>
    /// Bad input the job names (missing or unreadable file, wrong format, prompts that do not fit) and
    /// bugs fail the job for good; any other I/O error may pass.
    /// </summary>
    static bool Permanent(Exception e) => e is not IOException || e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
        or EndOfStreamException or PathTooLongException;

    /// <summary>The CLI's one-line message (segsam: error: …): an argument error names the job field it came from.</summary>
    static string Message(Exception e) => e switch
    {
        ArgumentException a when a.ParamName is { } name => $"{name}: {a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)}",
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException or KeyNotFoundException
            or ArgumentException or CheckpointFormatException or CheckpointMismatchException => e.Message,
        _ => $"internal error (please report): {e.Message}",
    };

    (string Path, bool PromptFree) Choose(SegmentationJob job)
    {
        bool promptFree = job.Task == SegmentationJob.AutoTask;
        var fitting = models.Where(m => m.PromptFree == promptFree).ToList();
        string kind = promptFree ? "PG-SAM (auto)" : "SEG-SAM (prompted)";
        if (job.Model is { } name)
        {
            var named = models.Where(m => Path.GetFileName(m.Path) == name).ToList();
            if (named.Count == 0) throw new ArgumentException($"this worker has no model named {name}; it has {string.Join(", ", models.Select(m => Path.GetFileName(m.Path)))}", "model");
            if (named[0].PromptFree != promptFree) throw new ArgumentException($"{name} is not a {kind} model", "model");
            return named[0];
        }
        return fitting.Count > 0 ? fitting[0] : throw new ArgumentException($"this worker has no {kind} model (start it with --model FILE)", "model");
    }

    object Load(string path, bool promptFree)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!loaded.TryGetValue(path, out var model))
                loaded[path] = model = promptFree ? PgSamModelCheckpoint.Load(path, precision) : SegSamCheckpoint.Load(path, precision);
            return model;
        }
    }

    static IReadOnlyList<JobLabelVolume> Labels(SegmentationOutcome outcome) =>
        outcome.LabelMap is { } map
            ? [.. map.Classes.Select(c => new JobLabelVolume(c.Label, c.Name, c.Voxels, c.VolumeMm3))]
            : [.. outcome.Objects!.Objects.Select(o => new JobLabelVolume(o.LabelValue, o.Category, null, o.VolumeMm3))];

    /// <summary>
    /// Deletes the temporary files (AtomicFile's ".NAME.PID.ID.tmp") a killed run of this job left:
    /// those of a process that no longer runs on this machine, or older than an hour (another
    /// machine's). Deleting a live run's file only makes its rename fail, an I/O error that is retried.
    /// </summary>
    static void RemoveAbandonedTemporaries(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, ".*.tmp"))
        {
            var parts = Path.GetFileName(file).Split('.');
            bool deadHere = parts.Length >= 5 && int.TryParse(parts[^3], out int pid) && !Running(pid);
            if (deadHere || File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddHours(-1))
            {
                try { File.Delete(file); }
                catch (IOException) { }
            }
        }
    }

    static bool Running(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    static void RemoveIfEmpty(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (IOException)
        {
            // Another delivery of the same job may be writing there now; an empty folder is harmless.
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            foreach (var model in loaded.Values) model.Dispose();
            loaded.Clear();
        }
    }
}
