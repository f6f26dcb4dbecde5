namespace SegSam.Checkpoints;

/// <summary>What did not match between a checkpoint and a model.</summary>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatches)
{
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    public string Describe(int maxPerGroup = 20)
    {
        var lines = new List<string>();
        void Group(string title, IReadOnlyList<string> items)
        {
            if (items.Count == 0) return;
            lines.Add($"{title} ({items.Count}):");
            lines.AddRange(items.Take(maxPerGroup).Select(i => "  " + PrintableText.Escape(i)));
            if (items.Count > maxPerGroup) lines.Add($"  … and {items.Count - maxPerGroup} more");
        }
        Group("missing in checkpoint", Missing);
        Group("unexpected in checkpoint", Unexpected);
        Group("shape mismatch", ShapeMismatches);
        return string.Join(Environment.NewLine, lines);
    }
}
