using System.Collections.Concurrent;

namespace SegSam.Server;

/// <summary>
/// The open volumes by id. Ids are random (never derived from the request), so a path-like id
/// simply finds nothing; volumes idle longer than the TTL are removed and disposed, which frees
/// their embedding caches — but only when no request or job holds a lease on them.
/// </summary>
public sealed class VolumeRegistry(ServerOptions options) : IDisposable
{
    readonly ConcurrentDictionary<string, VolumeEntry> volumes = new(StringComparer.Ordinal);

    public int Count => volumes.Count;

    public VolumeEntry Add(Func<string, VolumeEntry> create)
    {
        string id = Guid.NewGuid().ToString("N");
        var entry = create(id);
        volumes[id] = entry;
        return entry;
    }

    /// <summary>A lease on volume <paramref name="id"/> (dispose it when done), marking it used now; 404 when unknown, closed or expired.</summary>
    public VolumeLease Lease(string id)
    {
        if (!volumes.TryGetValue(id, out var entry) || !entry.TryLease())
            throw new ApiProblem(StatusCodes.Status404NotFound, $"no volume '{id}' (unknown, or closed after {options.SessionTtl} unused)");
        return new VolumeLease(entry);
    }

    /// <summary>Closes volume <paramref name="id"/>: gone for new requests now, its memory released when the last lease ends; 404 when unknown.</summary>
    public void Close(string id)
    {
        if (!volumes.TryRemove(id, out var entry)) throw new ApiProblem(StatusCodes.Status404NotFound, $"no volume '{id}'");
        entry.Retire();
    }

    /// <summary>Removes and disposes the volumes without leases last used before <paramref name="now"/> − TTL; returns how many.</summary>
    public int Expire(DateTime now)
    {
        int removed = 0;
        foreach (var (id, entry) in volumes)
            if (entry.TryExpire(now, options.SessionTtl))
            {
                volumes.TryRemove(id, out _);
                removed++;
            }
        return removed;
    }

    public void Dispose()
    {
        foreach (var id in volumes.Keys)
            if (volumes.TryRemove(id, out var entry)) entry.Retire();
    }
}
