namespace SegSam.Evaluation;

/// <summary>The metrics of one group of objects under one prompt type.</summary>
/// <param name="Prompt">"box" or "point".</param>
/// <param name="Group">The category or modality, or "all" for the prompt type's overall row.</param>
/// <param name="Count">Objects in the group.</param>
/// <param name="SemanticDice">Per-object semantic DSC (<see cref="ObjectResult.SemanticDice"/>); unclassified objects are missing.</param>
/// <param name="Mdsc">
/// SEG-SAM's mDSC: the mean over categories of each category's mean semantic DSC, so a wrong
/// class counts as 0 and every category weighs the same; for a one-category group it is that
/// category's mean semantic DSC. Null when no object of the group was classified.
/// </param>
/// <param name="Classified">Objects with a class verdict.</param>
/// <param name="ClassAccuracy">Share of the classified objects whose class is right; null when none is classified.</param>
public sealed record GroupSummary(
    string Prompt,
    string Group,
    int Count,
    SummaryStat Dice,
    SummaryStat Iou,
    SummaryStat Hd95,
    SummaryStat Nsd,
    SummaryStat SemanticDice,
    double? Mdsc,
    int Classified,
    double? ClassAccuracy)
{
    public static GroupSummary Of(string prompt, string group, IReadOnlyCollection<ObjectResult> objects)
    {
        var perCategory = objects
            .Where(o => o.SemanticDice is not null)
            .GroupBy(o => o.Category, StringComparer.Ordinal)
            .Select(c => c.Average(o => o.SemanticDice!.Value))
            .ToList();
        int classified = objects.Count(o => o.ClassCorrect is not null);
        return new GroupSummary(
            prompt,
            group,
            objects.Count,
            SummaryStat.Of(objects.Select(o => (double?)o.Dice)),
            SummaryStat.Of(objects.Select(o => (double?)o.Iou)),
            SummaryStat.Of(objects.Select(o => o.Hd95)),
            SummaryStat.Of(objects.Select(o => o.Nsd)),
            SummaryStat.Of(objects.Select(o => o.SemanticDice)),
            perCategory.Count == 0 ? null : perCategory.Average(),
            classified,
            classified == 0 ? null : (double)objects.Count(o => o.ClassCorrect == true) / classified)
        {
            OracleDice = objects.Any(o => o.OracleDice is not null) ? SummaryStat.Of(objects.Select(o => o.OracleDice)) : null,
        };
    }

    /// <summary>The best-of-the-masks Dice (<see cref="ObjectResult.OracleDice"/>); null when the evaluation did not score it.</summary>
    public SummaryStat? OracleDice { get; init; }
}
