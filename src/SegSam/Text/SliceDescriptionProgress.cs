namespace SegSam.Text;

/// <summary>What happened to one slice of a <see cref="SliceDescriptionGenerator.Run"/>.</summary>
public sealed record SliceDescriptionProgress(int Index, int Total, string Id, DescriptionStatus Status);
