using System.Collections.Concurrent;
using SegSam.Inference;

namespace SegSam.Server;

/// <summary>
/// One opened volume: its library session and the answers given on it, numbered for the client,
/// so that a later request can refine, accept, relabel or remove an object by its number.
/// </summary>
public sealed class VolumeEntry(string id, string name, string model, SegmentationSession session) : IDisposable
{
    int nextObject;
    long lastUsedTicks = DateTime.UtcNow.Ticks;

    public string Id { get; } = id;
    public string Name { get; } = name;
    public string Model { get; } = model;
    public SegmentationSession Session { get; } = session;

    /// <summary>Every answer given, by object id.</summary>
    public ConcurrentDictionary<int, SlicePrediction> Answers { get; } = new();

    /// <summary>Object id → the session's accepted-object id, for the answers accepted.</summary>
    public ConcurrentDictionary<int, int> Accepted { get; } = new();

    public DateTime LastUsed => new(Interlocked.Read(ref lastUsedTicks), DateTimeKind.Utc);

    public void Touch() => Interlocked.Exchange(ref lastUsedTicks, DateTime.UtcNow.Ticks);

    /// <summary>Keeps <paramref name="answer"/> under a new object id.</summary>
    public int Add(SlicePrediction answer)
    {
        int id = Interlocked.Increment(ref nextObject);
        Answers[id] = answer;
        return id;
    }

    public SlicePrediction Answer(int objectId) =>
        Answers.TryGetValue(objectId, out var answer) ? answer : throw new ApiProblem(StatusCodes.Status404NotFound, $"volume {Id} has no object {objectId}");

    public void Dispose() => Session.Dispose();
}
