namespace SegSam.Data;

/// <summary>
/// Groups the 116 AAL regions into 8 coarse structures for prompt-free (PG-SAM style)
/// segmentation of the built-in MRI: a fixed, small set of classes like Synapse's 8 organs.
/// The lobe assignment follows the usual AAL convention (Tzourio-Mazoyer et al., NeuroImage
/// 2002, lobe table), with two choices of ours: the paracentral lobule counts as frontal and
/// the fusiform gyrus as temporal; insula, cingulum, hippocampus, parahippocampal gyrus and
/// amygdala form one limbic group, and the vermis is kept apart from the cerebellar hemispheres.
/// </summary>
public static class AalLobes
{
    public static readonly string[] Names =
        ["frontal", "parietal", "temporal", "occipital", "limbic", "deep_grey", "cerebellum", "vermis"];

    static readonly (string Prefix, int Lobe)[] Rules =
    [
        ("Precentral", 0), ("Frontal_", 0), ("Rolandic_Oper", 0), ("Supp_Motor_Area", 0), ("Olfactory", 0),
        ("Rectus", 0), ("Paracentral_Lobule", 0),
        ("Postcentral", 1), ("Parietal_", 1), ("SupraMarginal", 1), ("Angular", 1), ("Precuneus", 1),
        ("Heschl", 2), ("Temporal_", 2), ("Fusiform", 2),
        ("Calcarine", 3), ("Cuneus", 3), ("Lingual", 3), ("Occipital_", 3),
        ("Insula", 4), ("Cingulum_", 4), ("Hippocampus", 4), ("ParaHippocampal", 4), ("Amygdala", 4),
        ("Caudate", 5), ("Putamen", 5), ("Pallidum", 5), ("Thalamus", 5),
        ("Cerebelum_", 6),
        ("Vermis_", 7),
    ];

    /// <summary>The group (0-based index into <see cref="Names"/>) of an AAL region name.</summary>
    public static int LobeOf(string aalRegion)
    {
        foreach (var (prefix, lobe) in Rules)
            if (aalRegion.StartsWith(prefix, StringComparison.Ordinal)) return lobe;
        throw new ArgumentException($"'{aalRegion}' is not an AAL region name", nameof(aalRegion));
    }

    /// <summary>Label value → lobe label: 0 → 0, AAL category c (label c + 1) → its lobe + 1.</summary>
    public static int[] LabelMap(IReadOnlyList<string> aalCategories)
    {
        var lookup = new int[aalCategories.Count + 1];
        for (int c = 0; c < aalCategories.Count; c++) lookup[c + 1] = LobeOf(aalCategories[c]) + 1;
        return lookup;
    }

    /// <summary>
    /// The dataset with its label maps regrouped: label c + 1 (AAL category c) becomes lobe + 1,
    /// so the result has <see cref="Names"/> as categories. Needs the AAL categories.
    /// </summary>
    public static SliceDataset Regroup(SliceDataset aal)
    {
        var lookup = LabelMap(aal.Categories);
        var slices = aal.Slices.Select(s =>
        {
            var labels = new int[s.Labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                int l = s.Labels[i];
                if (l < 0 || l >= lookup.Length) throw new InvalidDataException($"{s.Id}: label {l} outside the {aal.Categories.Length} AAL categories");
                labels[i] = lookup[l];
            }
            return s with { Labels = labels };
        }).ToList();
        return new SliceDataset
        {
            Name = aal.Name + "-lobes", Modality = aal.Modality, Categories = Names, PixelSpacing = aal.PixelSpacing, Slices = slices,
        };
    }
}
