using System.Text.Encodings.Web;
using System.Text.Json;
using SegSam.IO;

namespace SegSam.Text;

/// <summary>
/// A set of category descriptions and the file that holds them:
/// <code>
/// { "version": 1, "template": "&lt;the prompt template used&gt;", "source": "&lt;who/what wrote them&gt;",
///   "categories": { "&lt;name&gt;": { "texture": "…", "shape": "…", "position": "…", "source": "&lt;optional&gt;" } } }
/// </code>
/// Categories keep the file's order, which is the order their embeddings are stacked in.
/// </summary>
public sealed class CategoryDescriptions
{
    public const int CurrentVersion = 1;

    readonly OrderedDictionary<string, CategoryDescription> _categories = new(StringComparer.Ordinal);

    public CategoryDescriptions(string template, string source)
    {
        Template = template;
        Source = source;
    }

    /// <summary>The prompt template the descriptions were asked with (or written after).</summary>
    public string Template { get; set; }

    /// <summary>Who or what wrote the descriptions.</summary>
    public string Source { get; set; }

    public IReadOnlyList<string> Names => _categories.Keys.ToList();

    public int Count => _categories.Count;

    public bool Contains(string name) => _categories.ContainsKey(name);

    /// <summary>The description of <paramref name="name"/>; fails naming the category when there is none.</summary>
    public CategoryDescription this[string name] =>
        _categories.TryGetValue(name, out var d)
            ? d
            : throw new KeyNotFoundException($"no description for category '{name}' ({Count} categories described)");

    /// <summary>Adds a category at the end, or replaces an existing one in place.</summary>
    public void Set(string name, CategoryDescription description)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a category name must not be empty", nameof(name));
        _categories[name] = description;
    }

    /// <summary>The string to embed for <paramref name="name"/>: "Texture: … Shape: … Position: …".</summary>
    public string TextFor(string name) => this[name].Text;

    public static CategoryDescriptions Load(string path)
    {
        string json = InputFile.ReadAllText(path);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return FromJson(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the file atomically (readers never see a half-written file).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", CurrentVersion);
            w.WriteString("template", Template);
            w.WriteString("source", Source);
            w.WriteStartObject("categories");
            foreach (var (name, d) in _categories)
            {
                w.WriteStartObject(name);
                w.WriteString("texture", d.Texture);
                w.WriteString("shape", d.Shape);
                w.WriteString("position", d.Position);
                if (d.Source is not null) w.WriteString("source", d.Source);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    static CategoryDescriptions FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("expected a JSON object at the top level");
        var version = Required(root, "version", JsonValueKind.Number, "the file");
        if (!version.TryGetInt32(out int v) || v != CurrentVersion)
            throw new InvalidDataException($"unsupported \"version\" {version.GetRawText()} (this build reads version {CurrentVersion})");
        var result = new CategoryDescriptions(
            Required(root, "template", JsonValueKind.String, "the file").GetString()!,
            Required(root, "source", JsonValueKind.String, "the file").GetString()!);
        foreach (var category in Required(root, "categories", JsonValueKind.Object, "the file").EnumerateObject())
        {
            string where = $"category '{category.Name}'";
            if (category.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} is not a JSON object");
            if (result.Contains(category.Name)) throw new InvalidDataException($"{where} appears twice");
            result.Set(category.Name, new CategoryDescription(
                NonEmpty(category.Value, "texture", where),
                NonEmpty(category.Value, "shape", where),
                NonEmpty(category.Value, "position", where),
                category.Value.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null));
        }
        return result;
    }

    static JsonElement Required(JsonElement obj, string field, JsonValueKind kind, string where)
    {
        if (!obj.TryGetProperty(field, out var value)) throw new InvalidDataException($"{where} has no \"{field}\" field");
        if (value.ValueKind != kind) throw new InvalidDataException($"\"{field}\" in {where} must be a JSON {kind.ToString().ToLowerInvariant()}, got {value.ValueKind.ToString().ToLowerInvariant()}");
        return value;
    }

    static string NonEmpty(JsonElement obj, string field, string where)
    {
        string text = Required(obj, field, JsonValueKind.String, where).GetString()!;
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"\"{field}\" of {where} is empty");
        return text;
    }
}
