namespace SegSam.Data;

/// <summary>
/// The classes a prompt-free (PG-SAM) model learns from a prepared dataset: the data's own
/// categories, or the built-in AAL data's 116 regions regrouped into the 8 groups of
/// <see cref="AalLobes.Names"/>.
/// </summary>
public static class ClassGrouping
{
    /// <summary>The data's own categories.</summary>
    public const string Dataset = "dataset";

    /// <summary>The built-in AAL data regrouped into <see cref="AalLobes.Names"/>.</summary>
    public const string Lobes = "lobes";

    public static IReadOnlyList<string> Names { get; } = [Lobes, Dataset];

    /// <summary>The dataset with the classes of <paramref name="grouping"/> (one of <see cref="Names"/>).</summary>
    public static SliceDataset Apply(SliceDataset data, string grouping) => grouping switch
    {
        Dataset => data,
        Lobes => ToLobes(data),
        _ => throw new ArgumentException($"unknown class grouping '{grouping}'; known: {string.Join(", ", Names)}", nameof(grouping)),
    };

    /// <summary>The AAL dataset regrouped into lobes; any other dataset is refused as bad input, naming it.</summary>
    public static SliceDataset ToLobes(SliceDataset data)
    {
        try
        {
            return AalLobes.Regroup(data);
        }
        catch (ArgumentException e)
        {
            // AalLobes says which category is not an AAL region; the caller picked the wrong data, not a wrong argument.
            throw new InvalidDataException($"--classes lobes needs the built-in AAL dataset ({data.Name}: {e.Message})", e);
        }
    }

    /// <summary>
    /// Held-out slices in a model's classes: the data itself when its categories are the model's,
    /// the AAL data regrouped into lobes for a model trained on <see cref="AalLobes.Names"/>
    /// (with, per original label value, its lobe's), anything else refused as bad input.
    /// </summary>
    public static (SliceDataset Data, int[] GroupOfLabel) ForModel(SliceDataset data, IReadOnlyList<string> modelCategories)
    {
        if (data.Categories.SequenceEqual(modelCategories))
            return (data, Enumerable.Range(0, data.Categories.Length + 1).ToArray());
        if (!modelCategories.SequenceEqual(AalLobes.Names))
            throw new InvalidDataException($"{data.Name}: categories differ from the model's ({data.Categories.Length} vs {modelCategories.Count})");
        return (ToLobes(data), AalLobes.LabelMap(data.Categories));
    }
}
