using SegSam.Modeling;
using SegSam.Modeling.PgSam;

namespace SegSam.Server;

/// <summary>
/// A model loaded at start and shared by every volume session (sessions take turns on it): a
/// SEG-SAM model answers prompts, a PG-SAM model segments every structure prompt-free.
/// </summary>
public sealed record LoadedModel(string Name, SegSamModel? SegSam, PgSamModel? PgSam)
{
    public const string SegSamKind = "SEG-SAM";
    public const string PgSamKind = "PG-SAM";

    public string Kind => SegSam is not null ? SegSamKind : PgSamKind;

    public IReadOnlyList<string> Categories => SegSam?.Config.Categories ?? PgSam!.Config.Categories;
}
