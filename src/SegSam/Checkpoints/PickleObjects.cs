using System.Numerics;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

// The restricted object model our unpickler produces. Python values map to: None → null, bool,
// long (or BigInteger when out of range), double, string, byte[], PyTuple, PyList, PyDict, plus
// the few torch-specific values below. Nothing here ever runs code from the file.

/// <summary>An immutable Python tuple; compares and hashes structurally so it can be a dict key.</summary>
internal sealed class PyTuple : IEquatable<PyTuple>
{
    public static readonly PyTuple Empty = new(Array.Empty<object?>());

    public object?[] Items { get; }

    public PyTuple(object?[] items) => Items = items;

    public int Count => Items.Length;

    public object? this[int i] => Items[i];

    public bool Equals(PyTuple? other)
    {
        if (other is null || other.Items.Length != Items.Length) return false;
        for (int i = 0; i < Items.Length; i++)
            if (!PyKeyComparer.Instance.Equals(Items[i], other.Items[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is PyTuple t && Equals(t);

    public override int GetHashCode() => PyKeyComparer.Instance.GetHashCode(this);
}

/// <summary>A Python list.</summary>
internal sealed class PyList : List<object?>
{
}

/// <summary>A Python dict (or OrderedDict): insertion-ordered, keyed by hashable Python values.</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new(PyKeyComparer.Instance);

    public int Count => _items.Count;

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public void Set(object? key, object? value)
    {
        object k = key ?? PyKeyComparer.NoneKey;
        if (_index.TryGetValue(k, out int i))
            _items[i] = new KeyValuePair<object?, object?>(key, value);
        else
        {
            _index.Add(k, _items.Count);
            _items.Add(new KeyValuePair<object?, object?>(key, value));
        }
    }

    public bool TryGet(object? key, out object? value)
    {
        if (_index.TryGetValue(key ?? PyKeyComparer.NoneKey, out int i))
        {
            value = _items[i].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>Equality and hashing of hashable Python values (str, int, float, bool, bytes, None, tuples).</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    /// <summary>Stands in for a None key, since .NET dictionaries reject null keys.</summary>
    public static readonly object NoneKey = new();

    // Deeply nested tuples are legal pickle but never occur in checkpoints; bounding the depth
    // keeps a hostile file from overflowing the stack while hashing.
    private const int MaxDepth = 64;

    public new bool Equals(object? x, object? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null) return false;
        if (x is byte[] bx && y is byte[] by) return bx.AsSpan().SequenceEqual(by);
        if (x is PyTuple tx && y is PyTuple ty) return tx.Equals(ty);
        return x.Equals(y);
    }

    public int GetHashCode(object obj) => Hash(obj, 0);

    private static int Hash(object? obj, int depth)
    {
        if (depth > MaxDepth) throw new CheckpointFormatException("pickle dict key nests tuples too deeply");
        switch (obj)
        {
            case null: return 0;
            case string or long or double or bool or BigInteger: return obj.GetHashCode();
            case byte[] b:
            {
                var h = new HashCode();
                h.AddBytes(b);
                return h.ToHashCode();
            }
            case PyTuple t:
            {
                var h = new HashCode();
                foreach (var item in t.Items) h.Add(Hash(item, depth + 1));
                return h.ToHashCode();
            }
            default:
                if (ReferenceEquals(obj, NoneKey)) return 0;
                throw new CheckpointFormatException($"pickle uses an unhashable value of type {Describe(obj)} as a dict key");
        }
    }

    public static string Describe(object? obj) => obj switch
    {
        null => "None",
        PyTuple => "tuple",
        PyList => "list",
        PyDict => "dict",
        string => "str",
        byte[] => "bytes",
        long or BigInteger => "int",
        double => "float",
        bool => "bool",
        PyGlobal g => $"global '{g.QualifiedName}'",
        StorageRef => "storage",
        TensorSpec => "tensor",
        _ => obj.GetType().Name,
    };
}

/// <summary>Which of the allowed globals a GLOBAL opcode named.</summary>
internal enum PyGlobalKind
{
    OrderedDict,
    RebuildTensorV2,
    RebuildParameter,
    StorageClass,
}

/// <summary>A reference to one of the few allowed Python globals; applied by REDUCE, never executed.</summary>
internal sealed record PyGlobal(string Module, string Name, PyGlobalKind Kind, ScalarType StorageType = default)
{
    public string QualifiedName => $"{Module}.{Name}";
}

/// <summary>A storage record in the checkpoint archive (data/&lt;Key&gt;), holding NumElements values of DType.</summary>
internal sealed record StorageRef(string Key, ScalarType DType, long NumElements);

/// <summary>
/// A tensor described by the pickle: a strided view (offset, size, stride in elements) of a storage.
/// Its data is only read from the archive when the tensor is materialized.
/// </summary>
internal sealed record TensorSpec(StorageRef Storage, long StorageOffset, long[] Size, long[] Stride)
{
    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (long d in Size) n = checked(n * d);
            return n;
        }
    }
}
