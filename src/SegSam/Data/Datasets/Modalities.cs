namespace SegSam.Data.Datasets;

/// <summary>Modality names and the intensity normalisation of raw volumes that goes with them.</summary>
internal static class Modalities
{
    static readonly string[] MrHints = ["MR", "T1", "T2", "FLAIR", "ADC", "DWI", "PD", "SWI", "BOLD"];

    /// <summary>
    /// A layout's channel or file-prefix name as a modality: "CT"; "MR" for names of MR contrasts
    /// (T1, T2, FLAIR, ADC, …); otherwise the name upper-cased (PET, US, X-RAY, …).
    /// </summary>
    public static string Of(string name)
    {
        string upper = name.Trim().ToUpperInvariant();
        if (upper == "CT") return "CT";
        return MrHints.Any(h => upper.StartsWith(h, StringComparison.Ordinal)) ? "MR" : upper;
    }

    /// <summary>
    /// A raw volume's intensities mapped to [0, 255]: through the CT window for CT, else by
    /// clipping to the 0.5–99.5 percentiles of the non-zero voxels (SAM-Med2D's MR rule, also the
    /// safest for other modalities whose values have no fixed scale).
    /// </summary>
    public static Imaging.Volume Normalise(Imaging.Volume image, string modality, (double Level, double Width) window) =>
        image.WithData(modality == "CT" ? Intensity.Window(image.Data, window.Level, window.Width) : Intensity.PercentileClip(image.Data), "float32");

    /// <summary>The distinct modalities of a mixed set, in order of appearance, joined with '+' ("CT+MR").</summary>
    public static string Join(IEnumerable<string> modalities) => string.Join("+", modalities.Distinct());
}
