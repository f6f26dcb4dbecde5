using System.Text.Json;
using SegSam.Modeling.PgSam;
using static TorchSharp.torch;

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
                return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
            }, path);
        if (!File.Exists(path)) throw new FileNotFoundException($"descriptions not found: {path} (a JSON file id → text, or a folder of ID.txt files)", path);
        Dictionary<string, string> map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path}: empty descriptions");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: expected a JSON object mapping slice ids to texts: {e.Message}", e);
        }
        return new SliceDescriptions(id => map.GetValueOrDefault(id), path);
    }

    /// <summary>The text of slice <paramref name="id"/>; a clear error when the file has none.</summary>
    public string For(string id) =>
        lookup(id) is { Length: > 0 } text ? text : throw new InvalidDataException($"{source}: no description for slice '{id}'");
}
