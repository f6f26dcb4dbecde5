using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// A restricted unpickler for the data.pkl record of a torch.save archive. It decodes the opcodes
/// such pickles contain (protocols 2–5) into the object model of PickleObjects.cs. Only a handful
/// of globals are accepted (OrderedDict, torch tensor/parameter rebuild functions, storage classes),
/// and REDUCE is interpreted for exactly those; any other global aborts the load, so nothing from
/// the file is ever executed.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>pickle.HIGHEST_PROTOCOL of every Python since 3.8.</summary>
    private const int HighestProtocol = 5;

    private readonly byte[] _data;
    private readonly string _source;
    private int _pos;
    private List<object?> _stack = new();
    private readonly Stack<List<object?>> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);

    private PickleReader(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    /// <summary>Decodes a pickle into its object tree. <paramref name="source"/> names the file in error messages.</summary>
    public static object? Load(byte[] data, string source)
    {
        try
        {
            return new PickleReader(data, source).Run();
        }
        catch (CheckpointFormatException e) when (e.FilePath is null)
        {
            // Errors raised by the object model (e.g. an unhashable dict key) don't know the file.
            throw new CheckpointFormatException(source, $"malformed checkpoint pickle: {e.Message}", e);
        }
    }

    private CheckpointFormatException Error(string message) =>
        new(_source, $"malformed checkpoint pickle: {message}");

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Error("data.pkl ends before the STOP opcode (file truncated?)");
            int at = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO: decoding does not depend on it, but a version Python cannot read is no pickle
                {
                    int protocol = ReadByte();
                    if (protocol > HighestProtocol)
                        throw Error($"unsupported pickle protocol {protocol} (Python's pickle, and so torch.save, writes 0–{HighestProtocol})");
                    break;
                }
                case 0x95: ReadBytes(8); break; // FRAME: framing is only a read-ahead hint
                case (byte)'.': return Pop(); // STOP
                case (byte)'(': _marks.Push(_stack); _stack = new List<object?>(); break; // MARK
                case (byte)'}': Push(new PyDict()); break; // EMPTY_DICT
                case (byte)']': Push(new PyList()); break; // EMPTY_LIST
                case (byte)')': Push(PyTuple.Empty); break; // EMPTY_TUPLE
                case (byte)'t': Push(new PyTuple(PopMark().ToArray())); break; // TUPLE
                case 0x85: Push(new PyTuple(PopN(1))); break; // TUPLE1
                case 0x86: Push(new PyTuple(PopN(2))); break; // TUPLE2
                case 0x87: Push(new PyTuple(PopN(3))); break; // TUPLE3
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(DecodeLong(ReadBytes(ReadByte()))); break; // LONG1
                case 0x8b: Push(DecodeLong(ReadBytes(ReadLength(4)))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'X': Push(ReadUtf8(ReadLength(4))); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8))); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength(4)).ToArray()); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength(8)).ToArray()); break; // BINBYTES8
                case (byte)'c': // GLOBAL
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    object? name = Pop(), module = Pop();
                    if (module is not string m || name is not string n)
                        throw Error("STACK_GLOBAL operands are not strings");
                    Push(ResolveGlobal(m, n));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    object? args = Pop(), callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': Build(Pop(), Peek()); break; // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': _memo[ReadLength(4)] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadByte())); break; // BINGET
                case (byte)'j': Push(MemoGet(ReadLength(4))); break; // LONG_BINGET
                case (byte)'s': // SETITEM
                {
                    object? value = Pop(), key = Pop();
                    AsDict(Peek(), "SETITEM").Set(key, value);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Error("SETITEMS with an odd number of items");
                    var dict = AsDict(Peek(), "SETITEMS");
                    for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
                    break;
                }
                case (byte)'a': // APPEND
                {
                    object? value = Pop();
                    AsList(Peek(), "APPEND").Add(value);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark();
                    AsList(Peek(), "APPENDS").AddRange(items);
                    break;
                }
                case (byte)'d': // DICT
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Error("DICT with an odd number of items");
                    var dict = new PyDict();
                    for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
                    Push(dict);
                    break;
                }
                case (byte)'l': // LIST
                {
                    var list = new PyList();
                    list.AddRange(PopMark());
                    Push(list);
                    break;
                }
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP
                default:
                    throw Error($"unsupported pickle opcode 0x{op:x2} at offset {at}; only plain state_dict contents can be loaded");
            }
        }
    }

    private object ResolveGlobal(string module, string name)
    {
        if (module == "collections" && name == "OrderedDict")
            return new PyGlobal(module, name, PyGlobalKind.OrderedDict);
        if (module == "torch._utils" && name == "_rebuild_tensor_v2")
            return new PyGlobal(module, name, PyGlobalKind.RebuildTensorV2);
        if (module == "torch._utils" && name == "_rebuild_parameter")
            return new PyGlobal(module, name, PyGlobalKind.RebuildParameter);
        if (module == "torch" && DTypes.TryFromStorageClass(name, out var dtype))
            return new PyGlobal(module, name, PyGlobalKind.StorageClass, dtype);
        // Protocol-2 pickles spell Python 3's 'builtins' the Python 2 way; report the name users know.
        if (module == "__builtin__") module = "builtins";
        throw new CheckpointFormatException(_source,
            $"refuses to load global '{module}.{name}' referenced by the checkpoint pickle: only state_dict contents " +
            "are allowed (tensors, dicts, lists, numbers, strings). Re-save the checkpoint with " +
            "torch.save(model.state_dict(), path) or convert it to safetensors.");
    }

    private object? Reduce(object? callable, object? args)
    {
        if (callable is not PyGlobal g)
            throw Error($"REDUCE applied to {PyKeyComparer.Describe(callable)}, which is not an allowed callable");
        if (args is not PyTuple a)
            throw Error($"REDUCE arguments for '{g.QualifiedName}' are not a tuple");
        switch (g.Kind)
        {
            case PyGlobalKind.OrderedDict:
                return MakeOrderedDict(a);
            case PyGlobalKind.RebuildTensorV2:
                return RebuildTensor(a);
            case PyGlobalKind.RebuildParameter:
                // _rebuild_parameter(data, requires_grad, backward_hooks): a parameter is just its data here.
                if (a.Count < 1 || a[0] is not TensorSpec data)
                    throw Error("_rebuild_parameter expects a tensor as first argument");
                return data;
            default:
                throw Error($"'{g.QualifiedName}' cannot be called");
        }
    }

    private PyDict MakeOrderedDict(PyTuple args)
    {
        var dict = new PyDict();
        if (args.Count == 0) return dict;
        if (args.Count == 1 && args[0] is PyList pairs)
        {
            foreach (var p in pairs)
            {
                object?[]? kv = p switch
                {
                    PyTuple t when t.Count == 2 => t.Items,
                    PyList l when l.Count == 2 => l.ToArray(),
                    _ => null,
                };
                if (kv is null) throw Error("OrderedDict initializer is not a list of pairs");
                dict.Set(kv[0], kv[1]);
            }
            return dict;
        }
        throw Error("unexpected OrderedDict constructor arguments");
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    private TensorSpec RebuildTensor(PyTuple a)
    {
        if (a.Count < 4 || a[0] is not StorageRef storage)
            throw Error("_rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
        long offset = a[1] is long o ? o : throw Error("tensor storage offset is not an integer");
        long[] size = IntTuple(a[2], "size");
        long[] stride = IntTuple(a[3], "stride");
        if (size.Length != stride.Length)
            throw Error($"tensor size has {size.Length} dims but stride has {stride.Length}");
        return new TensorSpec(storage, offset, size, stride);
    }

    private long[] IntTuple(object? value, string what)
    {
        if (value is not PyTuple t) throw Error($"tensor {what} is not a tuple");
        var result = new long[t.Count];
        for (int i = 0; i < t.Count; i++)
            result[i] = t[i] is long v ? v : throw Error($"tensor {what} contains a non-integer");
        return result;
    }

    // Persistent ids are ('storage', storage_class, key, location, numel); the data lives in data/<key>.
    private StorageRef PersistentLoad(object? pid)
    {
        if (pid is not PyTuple t || t.Count != 5 || t[0] is not "storage")
            throw Error("persistent id is not a ('storage', type, key, location, numel) tuple");
        if (t[1] is not PyGlobal { Kind: PyGlobalKind.StorageClass } cls)
            throw Error("persistent id does not name a storage class");
        if (t[2] is not string key) throw Error("storage key is not a string");
        if (t[4] is not long numel || numel < 0) throw Error("storage size is not a non-negative integer");
        if (_storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != cls.StorageType || existing.NumElements != numel)
                throw Error($"storage '{key}' is referenced with conflicting types or sizes");
            return existing;
        }
        var storage = new StorageRef(key, cls.StorageType, numel);
        _storages.Add(key, storage);
        return storage;
    }

    private void Build(object? state, object? target)
    {
        // BUILD sets instance attributes. For an OrderedDict state_dict that is its _metadata
        // (module versions), and for a parameter possibly extra Python attributes; neither is
        // needed to load weights, so the state is dropped.
        if (target is PyDict or TensorSpec) return;
        throw Error($"BUILD applied to {PyKeyComparer.Describe(target)}");
    }

    private static object DecodeLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0L;
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }

    private PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw Error($"{op} target is {PyKeyComparer.Describe(o)}, not a dict");

    private PyList AsList(object? o, string op) =>
        o as PyList ?? throw Error($"{op} target is {PyKeyComparer.Describe(o)}, not a list");

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out var v) ? v : throw Error($"memo entry {index} is read before it is written");

    private void Push(object? o) => _stack.Add(o);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Error("stack underflow");

    private object? Pop()
    {
        if (_stack.Count == 0) throw Error("stack underflow");
        object? o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private object?[] PopN(int n)
    {
        if (_stack.Count < n) throw Error("stack underflow");
        var items = _stack.GetRange(_stack.Count - n, n).ToArray();
        _stack.RemoveRange(_stack.Count - n, n);
        return items;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Error("MARK expected but not found");
        var items = _stack;
        _stack = _marks.Pop();
        return items;
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of data.pkl");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadBytes(long count)
    {
        if (count < 0 || count > _data.Length - _pos) throw Error("unexpected end of data.pkl");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    // Reads an unsigned little-endian length/index of 4 or 8 bytes, bounded to what a byte[] can hold.
    private int ReadLength(int width)
    {
        var b = ReadBytes(width);
        ulong v = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
        if (v > int.MaxValue) throw Error("length field out of range");
        return (int)v;
    }

    private string ReadUtf8(int length)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(ReadBytes(length));
        }
        catch (DecoderFallbackException e)
        {
            throw new CheckpointFormatException(_source, "malformed checkpoint pickle: invalid UTF-8 string", e);
        }
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Error("unterminated GLOBAL name");
        string s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }
}
