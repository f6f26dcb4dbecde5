using System.Collections;
using System.Diagnostics.CodeAnalysis;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// An ordered map from parameter/buffer name to tensor, keeping insertion order (the order a
/// checkpoint lists its tensors). The dictionary owns its tensors: disposing it disposes them.
/// </summary>
public sealed class StateDict : IEnumerable<KeyValuePair<string, Tensor>>, IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>Tensor names in insertion order.</summary>
    public IReadOnlyList<string> Keys => _tensors.Keys;

    /// <summary>The tensor stored under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor this[string name]
    {
        get
        {
            ThrowIfDisposed();
            return _tensors.TryGetValue(name, out var t)
                ? t
                : throw new KeyNotFoundException($"State dict has no tensor named '{name}'.");
        }
    }

    public bool ContainsKey(string name) => _tensors.ContainsKey(name);

    public bool TryGet(string name, [NotNullWhen(true)] out Tensor? tensor)
    {
        ThrowIfDisposed();
        return _tensors.TryGetValue(name, out tensor);
    }

    /// <summary>Appends a tensor; the state dict takes ownership of it.</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    public void Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        ThrowIfDisposed();
        if (!_tensors.TryAdd(name, tensor))
            throw new ArgumentException($"State dict already has a tensor named '{name}'.", nameof(name));
    }

    /// <summary>
    /// Removes the tensor named <paramref name="name"/>. By default it is disposed; pass
    /// <paramref name="dispose"/> = false to take ownership of it instead (fetch it first with the indexer).
    /// </summary>
    public bool Remove(string name, bool dispose = true)
    {
        ThrowIfDisposed();
        if (!_tensors.Remove(name, out var t)) return false;
        if (dispose) t.Dispose();
        return true;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        ThrowIfDisposed();
        return _tensors.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
