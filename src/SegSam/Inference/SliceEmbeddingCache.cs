namespace SegSam.Inference;

/// <summary>
/// The encoded slices of one session, least recently used first out once their memory passes a
/// bound: the first prompt on a slice pays the image encoder, later ones (and refinements, and
/// propagation passing through it again) only the decoder. The newest slice always stays, even
/// alone above the bound. Not thread-safe: the session serialises its calls.
/// </summary>
internal sealed class SliceEmbeddingCache(long maxBytes) : IDisposable
{
    readonly Dictionary<(int Axis, int Index), LinkedListNode<((int Axis, int Index) Key, SliceEmbedding Value)>> nodes = [];
    readonly LinkedList<((int Axis, int Index) Key, SliceEmbedding Value)> order = new(); // most recently used first

    public long MaxBytes { get; } = maxBytes >= 0 ? maxBytes : throw new ArgumentOutOfRangeException(nameof(maxBytes), "the cache bound cannot be negative");
    public long Bytes { get; private set; }
    public int Count => nodes.Count;

    /// <summary>The encoded slice, from the cache or from <paramref name="encode"/>.</summary>
    public SliceEmbedding Get(int axis, int index, Func<SliceEmbedding> encode)
    {
        if (nodes.TryGetValue((axis, index), out var node))
        {
            order.Remove(node);
            order.AddFirst(node);
            return node.Value.Value;
        }
        var value = encode();
        nodes[(axis, index)] = order.AddFirst(((axis, index), value));
        Bytes += value.Bytes;
        while (Bytes > MaxBytes && order.Count > 1)
        {
            var oldest = order.Last!;
            order.RemoveLast();
            nodes.Remove(oldest.Value.Key);
            Bytes -= oldest.Value.Value.Bytes;
            oldest.Value.Value.Dispose();
        }
        return value;
    }

    public void Dispose()
    {
        foreach (var (_, value) in order) value.Dispose();
        order.Clear();
        nodes.Clear();
        Bytes = 0;
    }
}
