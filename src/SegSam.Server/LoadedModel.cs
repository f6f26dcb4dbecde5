using SegSam.Modeling;

namespace SegSam.Server;

/// <summary>A SEG-SAM model loaded at start and shared by every volume session (sessions take turns on it).</summary>
public sealed record LoadedModel(string Name, SegSamModel Model);
