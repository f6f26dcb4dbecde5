namespace SegSam.Data;

/// <summary>What <see cref="DatasetPreparation"/> wrote: the folder, the time it took and each set.</summary>
public sealed record PreparationSummary(string Folder, double Seconds, IReadOnlyList<PreparedSet> Sets);
