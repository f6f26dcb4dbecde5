using System.Globalization;
using SegSam.Imaging;

namespace SegSam.Data;

/// <summary>
/// How a raw volume's values become the prepared scale 0–255 that models are trained on
/// (<c>segsam prepare</c> normalises this way, and <see cref="Modeling.PgSam.PgSamModel.Preprocess"/>
/// takes pixels on that scale), so that a model predicting a whole volume sees the intensities it
/// was trained on:
/// <list type="bullet">
/// <item><c>ct</c>: a CT window; by default the Synapse protocol's rule (SPEC §4, TransUNet /
/// PG-SAM): HU clipped to [−125, 275] then scaled to [0, 1]. On the prepared scale that is the
/// same map times 255, i.e. the <c>transunet</c> window (level 75, width 400) with which
/// <c>segsam prepare --dataset synapse</c> prepares raw BTCV: v ↦ 255 · clamp((v + 125) / 400, 0, 1).</item>
/// <item><c>mr</c>: <see cref="Intensity.PercentileClip"/>, the 0.5–99.5 percentiles of the
/// non-zero voxels of the whole volume stretched to [0, 255], as <c>prepare</c> normalises MR and
/// every non-CT modality (and the built-in atlas).</item>
/// <item><c>stored</c>: 8-bit values as they are — pictures, whose values already are what a viewer shows.</item>
/// </list>
/// Which rule a volume gets by default is decided here too: <see cref="LooksLikeCt"/>, and
/// <see cref="ForSegSam"/> / <see cref="ForPgSam"/> for the two model families' prepared data.
/// </summary>
public sealed class VolumeIntensity
{
    public const string CtName = "ct";
    public const string MrName = "mr";
    public const string StoredName = "stored";

    /// <summary>
    /// Values below this are fat or air in Hounsfield units (fat is about −100 HU, air −1000), which
    /// an MR volume, a magnitude image, does not hold: a volume with such values is taken for CT.
    /// </summary>
    public const float CtBelowHu = -100;

    /// <summary><see cref="CtName"/> or <see cref="MrName"/>.</summary>
    public string Name { get; }

    /// <summary>The CT window (level, width in HU); null for MR.</summary>
    public (double Level, double Width)? Window { get; }

    VolumeIntensity(string name, (double Level, double Width)? window)
    {
        Name = name;
        Window = window;
    }

    /// <summary>The Synapse protocol's CT rule: HU [−125, 275] → [0, 1] (× 255 on the prepared scale).</summary>
    public static VolumeIntensity SynapseCt { get; } = new(CtName, Intensity.CtWindows["transunet"]);

    /// <summary>The percentile rule of prepared MR data.</summary>
    public static VolumeIntensity Mr { get; } = new(MrName, null);

    /// <summary>8-bit values kept as they are.</summary>
    public static VolumeIntensity Stored { get; } = new(StoredName, null);

    /// <summary>True when some value lies below <see cref="CtBelowHu"/>: a CT.</summary>
    public static bool LooksLikeCt(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (v < CtBelowHu) return true;
        return false;
    }

    /// <summary>
    /// The rule SEG-SAM's prepared slices follow for <paramref name="volume"/>: CT (given, or
    /// guessed by <see cref="LooksLikeCt"/>) through <paramref name="window"/>, by default the
    /// abdomen window; otherwise 8-bit pictures as stored and anything else by percentiles.
    /// <paramref name="modality"/> is "CT", "MR" or null; a window with MR is an error.
    /// </summary>
    public static VolumeIntensity ForSegSam(Volume volume, string? modality, (double Level, double Width)? window)
    {
        string kind = modality?.ToUpperInvariant() ?? (LooksLikeCt(volume.Data) ? "CT" : "MR");
        if (kind == "CT")
        {
            var (level, width) = window ?? Intensity.CtWindows["abdomen"];
            return Ct(level, width);
        }
        if (kind != "MR") throw new ArgumentException($"modality must be CT or MR, got '{modality}'");
        if (window is not null) throw new ArgumentException("a CT window does not apply to MR");
        return volume.SourceDataType == "uint8" && volume.Data.Max() <= 255 ? Stored : Mr;
    }

    /// <summary>
    /// The rule PG-SAM's prepared data follow: <paramref name="name"/> ("ct" or "mr"; by default
    /// ct when <see cref="LooksLikeCt"/>), ct with the Synapse window unless <paramref name="window"/> is given.
    /// </summary>
    public static VolumeIntensity ForPgSam(Volume volume, string? name, (double Level, double Width)? window) =>
        Parse(name ?? (LooksLikeCt(volume.Data) ? CtName : MrName), window);

    /// <summary>CT through another window (the one the model's training data were prepared with).</summary>
    public static VolumeIntensity Ct(double level, double width) =>
        width > 0 ? new(CtName, (level, width)) : throw new ArgumentOutOfRangeException(nameof(width), "window width must be positive");

    /// <summary>"ct" (with <paramref name="window"/>, default the Synapse rule) or "mr" (no window).</summary>
    public static VolumeIntensity Parse(string name, (double Level, double Width)? window = null) => name.ToLowerInvariant() switch
    {
        CtName => window is { } w ? Ct(w.Level, w.Width) : SynapseCt,
        MrName => window is null ? Mr : throw new ArgumentException("a CT window does not apply to the mr intensity rule"),
        _ => throw new ArgumentException($"intensity rule '{name}' is unknown; known: ct, mr"),
    };

    /// <summary>The values on the prepared 0–255 scale.</summary>
    public float[] Apply(ReadOnlySpan<float> values) =>
        Window is { } w ? Intensity.Window(values, w.Level, w.Width)
        : Name == StoredName ? values.ToArray()
        : Intensity.PercentileClip(values);

    public override string ToString() => Window is { } w
        ? string.Create(CultureInfo.InvariantCulture, $"ct (HU [{w.Level - w.Width / 2:G}, {w.Level + w.Width / 2:G}] → [0, 1])")
        : Name == StoredName ? "stored (8-bit values as they are)"
        : "mr (0.5–99.5 percentiles of the non-zero voxels → [0, 1])";
}
