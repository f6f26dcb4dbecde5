namespace SegSam.Server;

/// <summary>One of an answer's most probable categories.</summary>
public sealed record ClassProbability(string Category, float Probability);
