using System.Collections.Concurrent;
using SegSam.Inference;

namespace SegSam.Server;

/// <summary>
/// One opened volume: its library session and the objects given on it, numbered for the client,
/// so that a later request can refine, propagate, accept, relabel or remove an object by its number.
/// Only the last <c>maxUnaccepted</c> objects not accepted are kept (each holds its masks and
/// logits, ~100 KB for a 181×217 slice): without a bound a volume kept open through 10,000
/// prompts grew by 1 GB. Accepted objects are always kept.
/// <para>
/// Every request and job works on the entry under a lease (<see cref="VolumeRegistry.Lease"/>).
/// Closing or expiring retires the entry: no new lease is granted, and the session is disposed
/// when the last lease ends, so the TTL sweeper can never dispose a session a request is using.
/// </para>
/// </summary>
public sealed class VolumeEntry(string id, string name, string? model, string? promptFreeModel, SegmentationSession session, int maxUnaccepted = 256)
{
    readonly object leaseGate = new();
    int leases;
    bool retired;
    int nextObject;
    long lastUsedTicks = DateTime.UtcNow.Ticks;

    public string Id { get; } = id;
    public string Name { get; } = name;

    /// <summary>The SEG-SAM model answering prompts (null: none, prompts are 400).</summary>
    public string? Model { get; } = model;

    /// <summary>The PG-SAM model of segment-all (null: none, segment-all is 400).</summary>
    public string? PromptFreeModel { get; } = promptFreeModel;

    public SegmentationSession Session { get; } = session;

    /// <summary>The DICOMweb service root the volume was retrieved from (POST /volumes/dicomweb), where POST /volumes/{id}/store sends results; null for uploads.</summary>
    public Uri? Pacs { get; init; }

    /// <summary>Every object given, by object id.</summary>
    public ConcurrentDictionary<int, TrackedObject> Objects { get; } = new();

    /// <summary>Object id → the session's accepted-object id, for the objects accepted.</summary>
    public ConcurrentDictionary<int, int> Accepted { get; } = new();

    public DateTime LastUsed => new(Interlocked.Read(ref lastUsedTicks), DateTimeKind.Utc);

    /// <summary>Requests and jobs using the entry now.</summary>
    public int Leases
    {
        get { lock (leaseGate) return leases; }
    }

    /// <summary>Keeps <paramref name="tracked"/> under a new object id, forgetting the oldest unaccepted objects beyond the bound.</summary>
    public int Add(TrackedObject tracked)
    {
        // The same lock as accepting (PUT), so an object being accepted is never forgotten under it.
        lock (this)
        {
            int id = ++nextObject;
            Objects[id] = tracked;
            int over = Objects.Count - Accepted.Count - maxUnaccepted;
            if (over > 0)
                foreach (int old in Objects.Keys.Where(k => !Accepted.ContainsKey(k)).Order().Take(over).ToList())
                    Objects.TryRemove(old, out _);
            return id;
        }
    }

    public TrackedObject Object(int objectId) =>
        Objects.TryGetValue(objectId, out var tracked) ? tracked
        : throw new ApiProblem(StatusCodes.Status404NotFound, $"volume {Id} has no object {objectId} (never given, removed, or forgotten: only the last {maxUnaccepted} objects not accepted are kept)");

    /// <summary>The prompt's answer of object <paramref name="objectId"/>; 400 for a structure of segment-all, which has none.</summary>
    public SlicePrediction Answer(int objectId) => Object(objectId).Answer
        ?? throw new ApiProblem(StatusCodes.Status400BadRequest, $"object {objectId} was found by segment-all, not prompted: refine or propagate a prompted object");

    /// <summary>A lease, unless the entry is retired; marks the entry as used now.</summary>
    internal bool TryLease()
    {
        lock (leaseGate)
        {
            if (retired) return false;
            leases++;
            Interlocked.Exchange(ref lastUsedTicks, DateTime.UtcNow.Ticks);
            return true;
        }
    }

    internal void Release()
    {
        bool dispose;
        lock (leaseGate)
        {
            leases--;
            Interlocked.Exchange(ref lastUsedTicks, DateTime.UtcNow.Ticks);
            dispose = retired && leases == 0;
        }
        if (dispose) Session.Dispose();
    }

    /// <summary>No lease from now on; the session is disposed now, or when the last lease ends.</summary>
    internal void Retire()
    {
        bool dispose;
        lock (leaseGate)
        {
            if (retired) return;
            retired = true;
            dispose = leases == 0;
        }
        if (dispose) Session.Dispose();
    }

    /// <summary>Retires and disposes the entry when nobody holds a lease and it was last used before <paramref name="now"/> − <paramref name="ttl"/>.</summary>
    internal bool TryExpire(DateTime now, TimeSpan ttl)
    {
        lock (leaseGate)
        {
            if (retired || leases > 0 || now - LastUsed <= ttl) return false;
            retired = true;
        }
        Session.Dispose();
        return true;
    }
}
