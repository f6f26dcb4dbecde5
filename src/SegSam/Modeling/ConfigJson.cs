using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>
/// The JSON conventions of every SegSam config file: snake_case keys (the reference
/// constructors' argument names), unknown keys rejected so that a typo is an error, comments and
/// trailing commas allowed, enums as snake_case strings.
/// </summary>
public static class ConfigJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Parses a config; malformed JSON becomes an InvalidDataException naming the source.</summary>
    public static T Parse<T>(string json, string source, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"{source}: empty {what}");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid {what}: {e.Message}", e);
        }
    }
}
