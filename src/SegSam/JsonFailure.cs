using System.Text.Json;

namespace SegSam;

/// <summary>
/// What a System.Text.Json failure means in a JSON author's terms. Its messages for a value of
/// the wrong type and for a null in a non-nullable field name .NET types ("System.Nullable`1[System.Int32]",
/// "its nullability annotation"), which mean nothing to whoever wrote the config or the request.
/// </summary>
public static class JsonFailure
{
    /// <summary>The wording for a value that does not convert to its field's type.</summary>
    public const string WrongValue = "a value of the wrong type or out of range";

    public static bool IsWrongValue(JsonException e) => e.Message.Contains("could not be converted to", StringComparison.Ordinal);

    public static bool IsNullNotAllowed(JsonException e) => e.Message.Contains("doesn't allow setting null values", StringComparison.Ordinal);
}
