namespace SegSam.Server;

/// <summary>
/// What `segsam serve` is started with. Binding to anything but the loopback address requires a
/// token, because the API reads uploads and runs models for whoever can reach it.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>SEG-SAM and PG-SAM model files to load at start; the first of each kind is the default for new volumes.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Address Kestrel binds to (ignored under a test server).</summary>
    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8080;

    /// <summary>Bearer token every request must carry; required when <see cref="Host"/> is not loopback.</summary>
    public string? Token { get; init; }

    /// <summary>Largest upload accepted; a larger body is answered 413 before it fills the disk.</summary>
    public long MaxUploadBytes { get; init; } = 1024L << 20;

    /// <summary>Each volume session's embedding cache bound (<see cref="SegSam.Inference.SessionOptions.EmbeddingCacheBytes"/>).</summary>
    public long CacheBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Every volume session answers prompts with test-time mirroring, or without (<see cref="SegSam.Inference.SessionOptions.TestTimeMirroring"/>);
    /// null: as each model's config says.
    /// </summary>
    public bool? TestTimeMirroring { get; init; }

    /// <summary>
    /// Model calls (prompts, propagate and segment-all jobs) running at once; see <see cref="InferenceQueue"/> for why 2.
    /// </summary>
    public int InferenceSlots { get; init; } = 2;

    /// <summary>Model calls that may wait for a slot; one more is answered 429.</summary>
    public int MaxQueuedInferences { get; init; } = 16;

    /// <summary>Most bytes a zipped DICOM series may unpack to (counted as it unpacks), or a series retrieved from a PACS may hold.</summary>
    public long MaxUnzippedBytes { get; init; } = 4L << 30;

    /// <summary>Most entries a zipped DICOM series, or instances a series retrieved from a PACS, may hold.</summary>
    public int MaxZipEntries { get; init; } = 10_000;

    /// <summary>Objects not accepted that each volume keeps for refine/propagate/accept; older ones are forgotten (see <see cref="VolumeEntry"/>).</summary>
    public int MaxUnacceptedObjects { get; init; } = 256;

    /// <summary>A volume unused this long is closed and its memory released.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Where POST /volumes/builtin finds the built-in MRI (Debian's mricron-data).</summary>
    public string BuiltinVolume { get; init; } = Path.Combine(SegSam.Data.AtlasDataset.DefaultTemplates, "ch2.nii.gz");

    /// <summary>
    /// DICOMweb service roots POST /volumes/dicomweb may retrieve from (`segsam serve --dicomweb URL`);
    /// none: volumes come from uploads only. A list, so that the server is not an open proxy.
    /// </summary>
    public IReadOnlyList<string> DicomWebServers { get; init; } = [];

    /// <summary>How the server authenticates to those PACS (read from its environment at start by `segsam serve`).</summary>
    public SegSam.Data.DicomWeb.DicomWebCredentials DicomWebCredentials { get; init; } = SegSam.Data.DicomWeb.DicomWebCredentials.None;

    /// <summary>True when <see cref="Host"/> is a loopback name or address.</summary>
    public bool IsLoopback => Host is "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
