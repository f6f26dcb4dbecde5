using System.Text.Encodings.Web;
using System.Text.Json;
using SegSam.IO;

namespace SegSam.Text;

/// <summary>
/// Per-image descriptions for PG-SAM's prior (the released code reads one pre-generated text per
/// slice): a JSON object mapping slice id → text, or a folder with one <c>ID.txt</c> per slice.
/// </summary>
public sealed class SliceDescriptions
{
    readonly Func<string, string?> lookup;
    readonly string source;

    SliceDescriptions(Func<string, string?> lookup, string source)
    {
        this.lookup = lookup;
        this.source = source;
    }

    public static SliceDescriptions Load(string path)
    {
        if (Directory.Exists(path))
            return new SliceDescriptions(id =>
            {
                string file = Path.Combine(path, id + ".txt");
                return File.Exists(file) ? InputFile.ReadAllText(file).Trim() : null;
            }, path);
        if (!File.Exists(path)) throw new FileNotFoundException($"descriptions not found: {path} (a JSON file id → text, or a folder of ID.txt files)", path);
        var map = ReadFile(path);
        return new SliceDescriptions(id => map.GetValueOrDefault(id), path);
    }

    /// <summary>The entries of a descriptions JSON file (slice id → text), in the file's order.</summary>
    public static OrderedDictionary<string, string> ReadFile(string path)
    {
        var map = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object mapping slice ids to texts, got a {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: the description of slice '{entry.Name}' is a {entry.Value.ValueKind.ToString().ToLowerInvariant()}, not a text");
                if (!map.TryAdd(entry.Name, entry.Value.GetString()!))
                    throw new InvalidDataException($"{path}: slice '{entry.Name}' appears twice");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: expected a JSON object mapping slice ids to texts: {e.Message}", e);
        }
        return map;
    }

    /// <summary>Writes slice id → text as a JSON object, atomically (readers see the old file or the whole new one).</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, string>> entries)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var (id, text) in entries) w.WriteString(id, text);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        AtomicFile.WriteAllBytes(path, buffer.ToArray());
    }

    /// <summary>The text of slice <paramref name="id"/>; a clear error when the file has none.</summary>
    public string For(string id) =>
        lookup(id) is { Length: > 0 } text ? text : throw new InvalidDataException($"{source}: no description for slice '{id}'");
}
