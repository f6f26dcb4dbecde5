namespace SegSam.Text;

/// <summary>What happened to one category of a <see cref="DescriptionGenerator.Run"/>.</summary>
public sealed record DescriptionProgress(int Index, int Total, string Category, DescriptionStatus Status, bool ImageAttached);
