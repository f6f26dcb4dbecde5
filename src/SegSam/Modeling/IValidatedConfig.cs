using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>A config record that can reject values its modules could not be built from.</summary>
public interface IValidatedConfig
{
    /// <summary>Throws InvalidDataException naming <paramref name="source"/> and the offending field.</summary>
    void Validate(string source);
}
