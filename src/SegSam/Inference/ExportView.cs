using SegSam.Data;

namespace SegSam.Inference;

/// <summary>The slice an export draws as slice.png and overlay.png, with the prompts shown on it.</summary>
public sealed record ExportView(int Axis, int Index, IReadOnlyList<SamPrompt> Prompts);
