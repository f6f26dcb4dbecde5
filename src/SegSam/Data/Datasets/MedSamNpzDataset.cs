using SegSam.Imaging;

namespace SegSam.Data.Datasets;

/// <summary>
/// MedSAM's preprocessed .npz cases (any depth of subfolders): "imgs" H×W×3 (2D) or D×H×W
/// (3D, z-slices), "gts" label maps of the same grid (H×W or D×H×W), optional "spacing" (x, y, z
/// as SimpleITK reports it). Images in [0, 255], as MedSAM's preprocessing writes them, are kept;
/// others are normalised for their modality (CT window, else percentile clip). The modality is
/// the file name's prefix before the first "_" (MedSAM names cases "CT_Abd_…", "MR_…").
/// Categories are "label-V" for every label value V of the kept slices, or those of a names
/// file (values it does not list become background). Each file is a case for <see cref="CaseSplit"/>.
/// </summary>
public static class MedSamNpzDataset
{
    public static DatasetSplit Prepare(string dir, LayoutOptions options)
    {
        options.Validate();
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such folder");
        var files = Directory.EnumerateFiles(dir, "*.npz", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{dir}: no .npz files");
        var named = options.Names is { } namesFile ? new LabelRemap(CategoryNames.Read(namesFile), dropUnlisted: true) : null;

        var test = CaseSplit.TestCases(files);
        var train = new SliceCollector(options.Size);
        var held = new SliceCollector(options.Size);
        List<string> trainModalities = [], testModalities = [];
        int done = 0;
        foreach (var relative in files)
        {
            options.Progress?.Invoke(done++, files.Count, relative);
            string file = Path.Combine(dir, relative);
            string name = Path.GetFileNameWithoutExtension(file);
            string modality = options.Modality ?? Modalities.Of(name.Split('_')[0]);
            var (image, labels) = ReadCase(file, modality, options);
            if (named is not null) labels = labels.WithData(named.Apply(labels.Data, $"{file}: gts"), "int32");
            var (collector, seen) = test.Contains(relative) ? (held, testModalities) : (train, trainModalities);
            int before = collector.Count;
            collector.AddVolume(name, image, labels, options.Axes);
            if (collector.Count > before) seen.Add(modality);
        }
        options.Progress?.Invoke(done, files.Count, "");

        // Without names the categories are the values found, the same for both sets.
        var remap = named ?? LabelRemap.Numbered(train.LabelValues().Concat(held.LabelValues()));
        int[] Relabel(int[] values)
        {
            var codes = remap.Apply(values.Select(v => (float)v).ToArray(), dir);
            return codes.Select(c => (int)c).ToArray();
        }
        Func<int[], int[]>? relabel = named is null ? Relabel : null;
        return new DatasetSplit(
            train.Build("medsam-train", Modalities.Join(trainModalities), remap.Names, relabel),
            held.Build("medsam-test", Modalities.Join(testModalities), remap.Names, relabel));
    }

    static (Volume Image, Volume Labels) ReadCase(string file, string modality, LayoutOptions options)
    {
        var arrays = NpzFile.Read(file);
        foreach (var key in new[] { "imgs", "gts" })
            if (!arrays.ContainsKey(key))
                throw new InvalidDataException($"{file}: no \"{key}\" array (it holds {string.Join(", ", arrays.Keys)}); MedSAM cases hold \"imgs\" and \"gts\"");
        double[]? spacing = arrays.TryGetValue("spacing", out var s) && s.Length is 2 or 3 ? [.. s.ToFloat32().Select(v => (double)v)] : null;
        if (spacing is not null && spacing.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new InvalidDataException($"{file}: \"spacing\" [{string.Join(", ", spacing)}] holds a size that is not a positive number of mm");
        var image = MedicalImage.FromArray(arrays["imgs"], $"{file}: imgs", spacing);
        var labels = MedicalImage.FromArray(arrays["gts"], $"{file}: gts", spacing);
        if (!image.Dims.SequenceEqual(labels.Dims))
            throw new InvalidDataException($"{file}: grids differ: imgs {Shapes.Format(arrays["imgs"].Shape)}, gts {Shapes.Format(arrays["gts"].Shape)}");
        bool bytes = image.Data.All(v => v is >= 0 and <= 255);
        return (bytes ? image : Modalities.Normalise(image, modality, options.CtWindow("abdomen")), labels);
    }
}
