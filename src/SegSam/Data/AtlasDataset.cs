using System.Globalization;
using SegSam.Imaging;
using SegSam.IO;

namespace SegSam.Data;

/// <summary>
/// The built-in dataset, from Debian's mricron-data: the Colin27 T1 MRI (ch2) with the AAL atlas
/// (116 named regions) on the same 1 mm grid. Axial slices with more than 2,000 labelled voxels
/// are used. Split by slice index k along the superior axis: k ≡ 0 (mod 10) are held out for
/// evaluation; training uses only k ≡ 3…7 (mod 10), at least 3 mm from every held-out slice, so
/// that no training slice is a near-copy of a test slice (neighbouring 1 mm slices of one brain
/// are almost identical, and a random split would leak). Slices are padded to a square and
/// resized to the model size; MR intensities are clipped to the 0.5–99.5 percentiles of the
/// head and scaled to [0, 255]. Training slices also carry the class-agnostic objects of
/// <see cref="AgnosticObjects"/>. Two checks with objects of another kind: the held-out slices'
/// tissue classes (test-tissue) and the macaque brain's (macaque-tissue, another subject).
/// </summary>
public static class AtlasDataset
{
    public const string DefaultTemplates = "/usr/share/mricron/templates";
    public const int MinLabelledVoxels = 2000;

    public sealed record Split(SliceDataset Train, SliceDataset Test, SliceDataset TestTissue);

    /// <summary>Categories of the tissue-class checks: the 3 k-means intensity classes of a T1 brain, darkest first.</summary>
    public static readonly string[] TissueCategories = ["CSF", "grey-matter", "white-matter"];

    public static bool IsTestSlice(int k) => k % 10 == 0;
    public static bool IsTrainSlice(int k) => k % 10 is >= 3 and <= 7;

    /// <summary>AAL region names in label order (label value i + 1 = name i), from aal.nii.txt.</summary>
    public static string[] ReadAalNames(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"AAL names not found: {path}", path);
        var names = new List<string>();
        foreach (var line in InputFile.ReadAllLines(path))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index != names.Count + 1)
                throw new InvalidDataException($"{path}: expected region {names.Count + 1}, got '{line}'");
            names.Add(parts[1]);
        }
        if (names.Count == 0) throw new InvalidDataException($"{path}: no region names");
        return names.ToArray();
    }

    /// <summary>Prepares the human train/test split at <paramref name="size"/>×<paramref name="size"/>.</summary>
    public static Split PrepareHuman(int size, string templates = DefaultTemplates)
    {
        var names = ReadAalNames(Path.Combine(templates, "aal.nii.txt"));
        var image = Load(Path.Combine(templates, "ch2.nii.gz"));
        var labels = Load(Path.Combine(templates, "aal.nii.gz"));
        if (!image.Dims.SequenceEqual(labels.Dims))
            throw new InvalidDataException($"ch2.nii.gz and aal.nii.gz are on different grids ({string.Join('×', image.Dims)} vs {string.Join('×', labels.Dims)})");
        var normalised = image.WithData(Intensity.PercentileClip(image.Data), "float32");
        var brainExtracted = Load(Path.Combine(templates, "ch2bet.nii.gz"));
        var objects = AgnosticObjects.Build(normalised, brainExtracted, templates);
        var tissue = objects.Tissue;
        var train = new List<LabelledSlice>();
        var test = new List<LabelledSlice>();
        var testTissue = new List<LabelledSlice>();
        for (int k = 0; k < image.Nz; k++)
        {
            bool isTest = IsTestSlice(k), isTrain = IsTrainSlice(k);
            if (!isTest && !isTrain) continue;
            var slice = MakeSlice($"colin27-axial-{k:D3}", normalised, labels, k, size, names.Length);
            if (slice is null) continue;
            if (isTest)
            {
                test.Add(slice);
                if (MakeSlice($"colin27-tissue-axial-{k:D3}", normalised, tissue, k, size, TissueCategories.Length) is { } tissueSlice)
                    testTissue.Add(tissueSlice);
            }
            else train.Add(slice with { Objects = objects.Slice(k, size) });
        }
        double spacing = Math.Max(image.Ny, image.Nx) * image.Spacing[0] / size;
        SliceDataset Set(string name, List<LabelledSlice> slices, string[] categories) => new()
        {
            Name = name, Modality = "MR", Categories = categories, PixelSpacing = [spacing, spacing], Slices = slices,
            ObjectMapNames = slices.Count > 0 && slices[0].Objects.Count > 0 ? AgnosticObjects.MapNames : [],
        };
        return new Split(Set("atlas-train", train, names), Set("atlas-test", test, names), Set("atlas-test-tissue", testTissue, TissueCategories));
    }

    /// <summary>
    /// The cross-dataset set: the macaque INIA19 T1 template with its NeuroMaps parcellation
    /// (0.5 mm). Its region codes are unknown to the human model, so it serves binary evaluation;
    /// categories are named "region-CODE". Every axial slice with enough labelled voxels is used.
    /// </summary>
    public static SliceDataset PrepareMacaque(int size, string templates = DefaultTemplates)
    {
        var image = Load(Path.Combine(templates, "inia19-t1-brain.nii.gz"));
        var labels = Load(Path.Combine(templates, "inia19-NeuroMaps.nii.gz"));
        if (!image.Dims.SequenceEqual(labels.Dims))
            throw new InvalidDataException("inia19-t1-brain.nii.gz and inia19-NeuroMaps.nii.gz are on different grids");
        var codes = labels.Data.Where(v => v > 0).Select(v => (int)v).Distinct().Order().ToArray();
        var codeToLabel = codes.Select((c, i) => (c, i + 1)).ToDictionary(t => t.c, t => t.Item2);
        var relabelled = labels.WithData(labels.Data.Select(v => v > 0 ? (float)codeToLabel[(int)v] : 0f).ToArray(), "int32");
        var normalised = image.WithData(Intensity.PercentileClip(image.Data), "float32");
        return EveryFifthSlice("atlas-macaque", "inia19-axial", normalised, relabelled, codes.Select(c => $"region-{c}").ToArray(), size);
    }

    /// <summary>
    /// The other-subject check with objects of another kind: the 3 intensity classes (CSF, grey,
    /// white matter) of the macaque INIA19 brain on every fifth axial slice with enough brain.
    /// </summary>
    public static SliceDataset PrepareMacaqueTissue(int size, string templates = DefaultTemplates)
    {
        var image = Load(Path.Combine(templates, "inia19-t1-brain.nii.gz"));
        var normalised = image.WithData(Intensity.PercentileClip(image.Data), "float32");
        var brain = image.Data.Select(v => v > 0).ToArray();
        var tissue = image.WithData(IntensityClasses.KMeans(normalised.Data, brain, 3).Select(v => (float)v).ToArray(), "int32");
        return EveryFifthSlice("atlas-macaque-tissue", "inia19-tissue-axial", normalised, tissue, TissueCategories, size);
    }

    /// <summary>Every fifth axial slice (0.5 mm grid: 2.5 mm apart) with enough labelled voxels, as one set.</summary>
    static SliceDataset EveryFifthSlice(string name, string idPrefix, Volume normalised, Volume labels, string[] categories, int size)
    {
        var slices = new List<LabelledSlice>();
        for (int k = 0; k < normalised.Nz; k += 5)
        {
            var slice = MakeSlice($"{idPrefix}-{k:D3}", normalised, labels, k, size, categories.Length);
            if (slice is not null) slices.Add(slice);
        }
        double spacing = Math.Max(normalised.Ny, normalised.Nx) * normalised.Spacing[0] / size;
        return new SliceDataset
        {
            Name = name, Modality = "MR", Categories = categories, PixelSpacing = [spacing, spacing], Slices = slices,
        };
    }

    static Volume Load(string path) => Orientation.Canonical(NiftiFile.Read(path).Volume).Canonical;

    static LabelledSlice? MakeSlice(string id, Volume image, Volume labels, int k, int size, int numLabels)
    {
        var (labelPixels, h, w) = SliceGeometry.Extract(labels, 2, k);
        if (labelPixels.Count(v => v > 0) <= MinLabelledVoxels) return null;
        var (pixels, _, _) = SliceGeometry.Extract(image, 2, k);
        var resizedImage = SliceGeometry.SquareResize(pixels, h, w, size, labels: false);
        var resizedLabels = SliceGeometry.SquareResize(labelPixels, h, w, size, labels: true);
        var codes = resizedLabels.Select(v => (int)Math.Round(v)).ToArray();
        if (codes.Any(c => c < 0 || c > numLabels))
            throw new InvalidDataException($"{labels.Source}: label values outside 0..{numLabels} in slice {k}");
        return new LabelledSlice(id, size, size, resizedImage, codes);
    }
}
