using System.Text.Json;
using System.Text.Json.Serialization;
using SegSam.IO;

namespace SegSam.Modeling;

/// <summary>
/// The JSON conventions of every SegSam config file: snake_case keys (the reference
/// constructors' argument names), unknown keys rejected so that a typo is an error, comments and
/// trailing commas allowed, enums as snake_case strings, null only where a field is nullable.
/// </summary>
internal static class ConfigJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // `"sam": null` is as wrong as a missing brace: refuse it here rather than meet it as a null later.
        RespectNullableAnnotations = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Parses and validates a config; malformed JSON and invalid values become an
    /// InvalidDataException naming the source (<paramref name="what"/>: e.g. "CLIP config").
    /// </summary>
    public static T Parse<T>(string json, string source, string what) where T : class, IValidatedConfig
    {
        T config;
        try
        {
            config = JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"{source}: empty {what}");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid {what}: {Describe(e)}", e);
        }
        config.Validate(source);
        return config;
    }

    /// <summary>System.Text.Json's message in the config's own terms (<see cref="JsonFailure"/>), at the field's path.</summary>
    static string Describe(JsonException e)
    {
        string where = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "the config";
        if (JsonFailure.IsNullNotAllowed(e)) return $"{where} must not be null";
        if (JsonFailure.IsWrongValue(e)) return $"{where} has {JsonFailure.WrongValue}";
        return e.Message;
    }

    /// <summary>Reads and validates a config file (see <see cref="Parse"/>); a missing file is a FileNotFoundException.</summary>
    public static T Load<T>(string path, string what) where T : class, IValidatedConfig
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} not found: {path}", path);
        return Parse<T>(InputFile.ReadAllText(path), path, what);
    }

    /// <summary>The check every Validate makes: a failed condition is an InvalidDataException "source: message".</summary>
    public static Action<bool, string> Checker(string source) => (ok, message) =>
    {
        if (!ok) throw new InvalidDataException($"{source}: {message}");
    };
}
