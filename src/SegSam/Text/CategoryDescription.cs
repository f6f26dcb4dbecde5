namespace SegSam.Text;

/// <summary>
/// One category's description in the SEG-SAM format (appendix 6.2): texture, shape and position,
/// plus an optional note of who or what wrote it.
/// </summary>
public sealed record CategoryDescription(string Texture, string Shape, string Position, string? Source = null)
{
    /// <summary>The string that gets embedded: "Texture: … Shape: … Position: …".</summary>
    public string Text => $"Texture: {Texture} Shape: {Shape} Position: {Position}";
}
