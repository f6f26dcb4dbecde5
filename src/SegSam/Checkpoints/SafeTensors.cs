using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON mapping each tensor name to its dtype, shape and [begin, end) byte range in the
/// data buffer that follows (plus optional string metadata under "__metadata__").
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    // Same bound as the reference implementation: a header this big is corrupt or hostile.
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    internal sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    internal sealed record Header(List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart);

    /// <summary>Reads every tensor (in header order) and the metadata of a safetensors file.</summary>
    public static (StateDict Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path);
        var result = new StateDict();
        try
        {
            foreach (var e in header.Entries)
            {
                var tensor = torch.empty(e.Shape, e.DType);
                try
                {
                    stream.Position = header.DataStart + e.Begin;
                    TensorBytes.Fill(tensor, stream);
                }
                catch (Exception ex) when (ex is IOException)
                {
                    tensor.Dispose();
                    throw new CheckpointFormatException(path, $"cannot read tensor '{e.Name}': {ex.Message}", ex);
                }
                result.Add(e.Name, tensor.DetachFromDisposeScope());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return (result, header.Metadata);
    }

    /// <summary>The "__metadata__" map of a safetensors file (empty when absent).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path).Metadata;
    }

    /// <summary>Names, dtypes and shapes of the tensors in a safetensors file, from its header alone.</summary>
    public static IReadOnlyList<TensorInfo> Inspect(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path).Entries
            .Select(e => new TensorInfo(e.Name, DTypes.Name(e.DType), e.Shape))
            .ToList();
    }

    /// <summary>
    /// Writes tensors (in the given order) and optional metadata as a safetensors file. The file is
    /// written to <c>path + ".tmp"</c> and then moved over <paramref name="path"/>, so readers never
    /// see a half-written file.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var items = tensors.ToList();
        byte[] header = BuildHeader(items, metadata);

        string tmp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var (_, tensor) in items) TensorBytes.Write(tensor, stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (name == MetadataKey || !names.Add(name))
                    throw new ArgumentException($"Tensor name '{name}' is reserved or duplicated.", nameof(items));
                if (!DTypes.IsSupported(tensor.dtype))
                    throw new ArgumentException($"Tensor '{name}' has unsupported element type {tensor.dtype}.", nameof(items));
                long bytes = checked(tensor.numel() * DTypes.ElementSize(tensor.dtype));
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypes.SafetensorsCode(tensor.dtype));
                w.WriteStartArray("shape");
                foreach (long d in tensor.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // Padding the header to a multiple of 8 keeps the data buffer 8-byte aligned for mmap readers.
        int padded = (int)((json.Length + 7) / 8 * 8);
        var header = new byte[padded];
        json.ToArray().CopyTo(header, 0);
        header.AsSpan((int)json.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>True when the first bytes look like a safetensors header of a file of the given length.</summary>
    internal static bool LooksLike(ReadOnlySpan<byte> start, long fileLength)
    {
        if (start.Length < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
        return n >= 2 && n <= (ulong)(fileLength - 8) && start[8] == (byte)'{';
    }

    internal static Header ReadHeader(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointFormatException(path, $"is too short ({fileLength} bytes) to be a safetensors file");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > (ulong)MaxHeaderBytes || n > (ulong)(fileLength - 8))
            throw new CheckpointFormatException(path,
                $"safetensors header length {n} is invalid for a file of {fileLength} bytes (truncated or corrupt?)");
        var headerBytes = new byte[n];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)n;
        long bufferLength = fileLength - dataStart;

        // The format requires UTF-8; System.Text.Json would only notice invalid bytes when a name is read.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw new CheckpointFormatException(path, "safetensors header is not valid UTF-8 text (corrupt file?)");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"safetensors header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, "safetensors header is not a JSON object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new CheckpointFormatException(path, $"safetensors header lists '{prop.Name}' twice");
                if (prop.Name == MetadataKey)
                    ReadMetadataObject(prop.Value, metadata, path);
                else
                    entries.Add(ParseEntry(prop.Name, prop.Value, bufferLength, path));
            }
            CheckNoOverlap(entries, path);
            return new Header(entries, metadata, dataStart);
        }
    }

    private static void ReadMetadataObject(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, "safetensors __metadata__ is not an object");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(path, $"safetensors metadata value '{m.Name}' is not a string");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static Entry ParseEntry(string name, JsonElement e, long bufferLength, string path)
    {
        CheckpointFormatException Bad(string what) => new(path, $"safetensors entry '{name}': {what}");

        if (e.ValueKind != JsonValueKind.Object) throw Bad("is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad("has no dtype");
        if (!DTypes.TryFromSafetensorsCode(dt.GetString()!, out var dtype))
            throw Bad($"unsupported dtype '{dt.GetString()}'");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad("has no shape");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Bad("shape must hold non-negative integers");
            shape[i++] = v;
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("data_offsets must be [begin, end]");
        long begin = OffsetAt(off[0]), end = OffsetAt(off[1]);
        if (begin < 0 || end < begin || end > bufferLength)
            throw Bad($"data_offsets [{begin}, {end}] fall outside the {bufferLength}-byte data buffer (truncated or corrupt?)");
        long expected;
        try
        {
            expected = DTypes.ElementSize(dtype);
            foreach (long d in shape) expected = checked(expected * d);
        }
        catch (OverflowException ex)
        {
            throw new CheckpointFormatException(path, $"safetensors entry '{name}': shape is too large", ex);
        }
        if (end - begin != expected)
            throw Bad($"data_offsets span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dt.GetString()} needs {expected}");
        return new Entry(name, dtype, shape, begin, end);

        long OffsetAt(JsonElement x) =>
            x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out long v) ? v : throw Bad("data_offsets must be integers");
    }

    private static void CheckNoOverlap(List<Entry> entries, string path)
    {
        Entry? previous = null;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new CheckpointFormatException(path,
                    $"safetensors entries '{previous.Name}' and '{e.Name}' have overlapping data ranges");
            previous = e;
        }
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        return InputFile.OpenRead(path);
    }
}
