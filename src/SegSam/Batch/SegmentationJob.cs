using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using SegSam.Data;
using SegSam.Data.DicomWeb;
using SegSam.Inference;

namespace SegSam.Batch;

/// <summary>
/// A batch job as it travels on the queue (docs/scale-out.md): versioned JSON, camelCase. The
/// outputs go to <see cref="Out"/>/<see cref="JobId"/>/, so the same job always writes the same
/// paths and running it twice only rewrites them. Paths are absolute: workers on other machines
/// see the same shared storage, not the submitter's working folder.
/// <para>
/// Versions: 1 has the input path only and writes NIfTI; 2 adds <see cref="Formats"/>,
/// <see cref="DicomWeb"/> (input from a PACS) and <see cref="Store"/>. This build reads both and
/// writes the lowest version that carries the job, so workers of the previous build still run the
/// jobs they can, and refuse (rather than silently ignore) the ones that need version 2.
/// </para>
/// </summary>
public sealed partial record SegmentationJob
{
    /// <summary>The message format this build reads and writes.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The oldest message format this build still reads.</summary>
    public const int OldestVersion = 1;

    public const string AutoTask = "auto";
    public const string PromptedTask = "prompted";

    public int Version { get; init; } = CurrentVersion;

    /// <summary>Letters, digits, '.', '_' and '-' (1–128, not starting with '.'): it becomes a folder name.</summary>
    public required string JobId { get; init; }

    /// <summary>An image file or DICOM series folder on shared storage; or give <see cref="DicomWeb"/>.</summary>
    public string? Input { get; init; }

    /// <summary>Version 2: the input as a series on a PACS instead of <see cref="Input"/>.</summary>
    public JobDicomWebInput? DicomWeb { get; init; }

    /// <summary>Version 2: what to write, names as `segment --out-format`: nifti, dicom-seg, rtstruct (default nifti).</summary>
    public IReadOnlyList<string>? Formats { get; init; }

    /// <summary>Version 2: store the DICOM objects written (dicom-seg, rtstruct) back on the <see cref="DicomWeb"/> server (STOW-RS).</summary>
    public bool Store { get; init; }

    /// <summary>"auto": PG-SAM, every slice prompt-free; "prompted": SEG-SAM with <see cref="Prompts"/>.</summary>
    public required string Task { get; init; }

    /// <summary>The output root on shared storage; must exist (it is the storage, the worker makes only the job's folder).</summary>
    public required string Out { get; init; }

    /// <summary>The file name of one of the worker's models; default the worker's first model for the task.</summary>
    public string? Model { get; init; }

    public JobPrompts? Prompts { get; init; }

    /// <summary>PG-SAM slice direction (axial, coronal, sagittal).</summary>
    public string? Axis { get; init; }

    /// <summary>PG-SAM intensity rule (ct, mr).</summary>
    public string? Intensity { get; init; }

    /// <summary>A CT window: a name (e.g. abdomen) or "LEVEL,WIDTH".</summary>
    public string? Window { get; init; }

    /// <summary>SEG-SAM modality (CT, MR).</summary>
    public string? Modality { get; init; }

    /// <summary>The folder this job's outputs go to.</summary>
    [JsonIgnore]
    public string OutputDir => Path.Combine(Out, JobId);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Whether the job uses a field version 1 lacks.</summary>
    [JsonIgnore]
    internal bool NeedsVersion2 => DicomWeb is not null || Formats is not null || Store;

    /// <summary>The message, as the lowest version that carries it.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this with { Version = NeedsVersion2 ? CurrentVersion : OldestVersion }, Json);

    /// <summary>The formats to write; a name that is not nifti, dicom-seg (or seg) or rtstruct is an <see cref="InvalidDataException"/>.</summary>
    public ExportFormats OutputFormats()
    {
        if (Formats is null) return ExportFormats.Nifti;
        ExportFormats formats = 0;
        foreach (var name in Formats)
            formats |= name?.ToLowerInvariant() switch
            {
                "nifti" => ExportFormats.Nifti,
                "dicom-seg" or "seg" => ExportFormats.DicomSeg,
                "rtstruct" => ExportFormats.RtStruct,
                _ => throw new InvalidDataException($"job {JobId}: format '{name}' is not nifti, dicom-seg or rtstruct"),
            };
        return formats != 0 ? formats : throw new InvalidDataException($"job {JobId}: formats is empty; give at least one of nifti, dicom-seg, rtstruct");
    }

    /// <summary>
    /// Reads and checks a job message; anything malformed (not JSON, another version, a missing or
    /// unsafe field) is an <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public static SegmentationJob Parse(ReadOnlySpan<byte> message)
    {
        SegmentationJob? job;
        try
        {
            using (var doc = JsonDocument.Parse(message.ToArray()))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("job message: expected a JSON object");
                if (!doc.RootElement.TryGetProperty("version", out var v) || !v.TryGetInt32(out int version))
                    throw new InvalidDataException("job message: no \"version\" number");
                if (version is < OldestVersion or > CurrentVersion)
                    throw new InvalidDataException($"job message: version {version} is not supported (this worker reads versions {OldestVersion} to {CurrentVersion})");
            }
            job = JsonSerializer.Deserialize<SegmentationJob>(message, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"job message: not valid JSON for a version {CurrentVersion} job: {e.Message}", e);
        }
        if (job is null) throw new InvalidDataException("job message: empty");
        if (job.Version < CurrentVersion && job.NeedsVersion2)
            throw new InvalidDataException($"job {job.JobId}: dicomWeb, formats and store need \"version\": {CurrentVersion}");
        job.Check();
        return job;
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeId();

    /// <summary>Throws <see cref="InvalidDataException"/> for a job no worker could run as written.</summary>
    public void Check()
    {
        if (string.IsNullOrEmpty(JobId) || !SafeId().IsMatch(JobId))
            throw new InvalidDataException($"job message: jobId '{JobId}' must be 1–128 letters, digits, '.', '_' or '-', not starting with '.'");
        if ((Input is null) == (DicomWeb is null)) throw new InvalidDataException($"job {JobId}: give one input: an input path or dicomWeb {{url, study, series}}, not {(Input is null ? "neither" : "both")}");
        if (Input is not null && !Path.IsPathFullyQualified(Input)) throw new InvalidDataException($"job {JobId}: input '{Input}' must be an absolute path");
        if (DicomWeb is { } pacs)
        {
            try
            {
                DicomWebClient.ServiceRoot(pacs.Url);
                DicomWebClient.CheckUid(pacs.Study, "dicomWeb.study");
                if (pacs.Series is not null) DicomWebClient.CheckUid(pacs.Series, "dicomWeb.series");
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"job {JobId}: {e.Message}", e);
            }
        }
        var formats = OutputFormats();
        if (Store && DicomWeb is null) throw new InvalidDataException($"job {JobId}: store sends the outputs back to the dicomWeb input's server; this job has an input path");
        if (Store && (formats & (ExportFormats.DicomSeg | ExportFormats.RtStruct)) == 0)
            throw new InvalidDataException($"job {JobId}: store needs a DICOM format to store: add dicom-seg and/or rtstruct to formats");
        if (string.IsNullOrEmpty(Out) || !Path.IsPathFullyQualified(Out)) throw new InvalidDataException($"job {JobId}: out '{Out}' must be an absolute path");
        if (Task is not (AutoTask or PromptedTask)) throw new InvalidDataException($"job {JobId}: task '{Task}' is not {AutoTask} or {PromptedTask}");
        if (Task == AutoTask && Prompts is not null) throw new InvalidDataException($"job {JobId}: an {AutoTask} job is prompt-free; it takes no prompts");
        if (Task == PromptedTask && (Prompts is null || Prompts.Boxes.Count + Prompts.Points.Count == 0))
            throw new InvalidDataException($"job {JobId}: a {PromptedTask} job needs prompts with at least one box or point");
        if (Model is not null && Model != Path.GetFileName(Model)) throw new InvalidDataException($"job {JobId}: model '{Model}' must be a file name of one of the worker's models");
    }

    /// <summary>
    /// The library request this job stands for, reading <paramref name="input"/> (default <see cref="Input"/>;
    /// a DICOMweb job passes the folder its series was retrieved to); a prompt that is not numbers of
    /// the right count is an <see cref="ArgumentException"/> naming it.
    /// </summary>
    public SegmentationRequest ToRequest(string? input = null)
    {
        input ??= Input ?? throw new InvalidOperationException($"job {JobId} has no input path; retrieve its dicomWeb series and pass the folder");
        var prompts = new List<SamPrompt>();
        (int, int)? slice = null, range = null;
        if (Prompts is { } p)
        {
            foreach (var b in p.Boxes)
            {
                if (b.Length != 4 || !b.All(double.IsFinite)) throw new ArgumentException($"a box is [x0, y0, x1, y1], got [{string.Join(", ", b)}]", "box");
                prompts.Add(new SamPrompt { Box = new BoxPrompt(b[0], b[1], b[2], b[3]) });
            }
            if (p.Points.Count > 0)
            {
                prompts.Add(new SamPrompt
                {
                    Points = [.. p.Points.Select(x => x.Length == 3 && x.Take(2).All(double.IsFinite) && x[2] is 0.0 or 1.0
                        ? new PointPrompt(x[0], x[1], (int)x[2])
                        : throw new ArgumentException($"a point is [x, y, label] with label 0 or 1, got [{string.Join(", ", x)}]", "points"))],
                });
            }
            if (p.Slice is { } s)
            {
                var parts = s.Split(':');
                if (parts.Length != 2 || !SliceAxis.TryParse(parts[0], out int axis) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    throw new ArgumentException($"a slice is AXIS:INDEX with AXIS axial, coronal or sagittal, got '{s}'", "slice");
                slice = (axis, index);
            }
            if (p.Range is { } r)
                range = r.Length == 2 ? (r[0], r[1]) : throw new ArgumentException($"a range is [first, last], got [{string.Join(", ", r)}]", "range");
        }
        (double, double)? window = null;
        if (Window is { } w)
        {
            try { window = SegSam.Data.Intensity.ParseWindow(w); }
            catch (ArgumentException e) { throw new ArgumentException(e.Message, "window", e); }
        }
        return new SegmentationRequest(input, OutputDir)
        {
            Formats = OutputFormats(),
            Prompts = prompts,
            Slice = slice,
            Propagate = Prompts?.Propagate ?? false,
            TestTimeMirroring = Prompts?.Mirror,
            Range = range,
            Modality = Modality,
            Window = window,
            Axis = Axis,
            Intensity = Intensity,
        };
    }
}
