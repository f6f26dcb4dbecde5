using System.Collections.Concurrent;

namespace SegSam.Server;

/// <summary>
/// The open volumes by id. Ids are random (never derived from the request), so a path-like id
/// simply finds nothing; volumes idle longer than the TTL are removed and disposed, which frees
/// their embedding caches.
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

    /// <summary>The volume <paramref name="id"/>, marked as used now; 404 when unknown or expired.</summary>
    public VolumeEntry Get(string id)
    {
        if (!volumes.TryGetValue(id, out var entry)) throw new ApiProblem(StatusCodes.Status404NotFound, $"no volume '{id}' (unknown, or closed after {options.SessionTtl} unused)");
        entry.Touch();
        return entry;
    }

    /// <summary>Closes volume <paramref name="id"/> now, releasing its memory; 404 when unknown.</summary>
    public void Close(string id)
    {
        if (!volumes.TryRemove(id, out var entry)) throw new ApiProblem(StatusCodes.Status404NotFound, $"no volume '{id}'");
        entry.Dispose();
    }

    /// <summary>Removes and disposes the volumes last used before <paramref name="now"/> − TTL; returns how many.</summary>
    public int Expire(DateTime now)
    {
        int removed = 0;
        foreach (var (id, entry) in volumes)
            if (now - entry.LastUsed > options.SessionTtl && volumes.TryRemove(id, out var gone))
            {
                gone.Dispose();
                removed++;
            }
        return removed;
    }

    public void Dispose()
    {
        foreach (var id in volumes.Keys)
            if (volumes.TryRemove(id, out var entry)) entry.Dispose();
    }
}
