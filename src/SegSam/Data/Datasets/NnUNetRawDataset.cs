using System.Globalization;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.IO;

namespace SegSam.Data.Datasets;

/// <summary>
/// An nnU-Net raw dataset folder: dataset.json, imagesTr/CASE_0000.EXT and labelsTr/CASE.EXT.
/// Both dataset.json versions are read: v2 ("channel_names", "labels" {name: value},
/// "file_ending"; cases are the files of labelsTr) and v1 ("modality", "labels" {value: name},
/// "training" [{image, label}], .nii.gz; a listed image without the _0000 file, as in the Medical
/// Segmentation Decathlon, is read as 4D and its first channel taken). Only channel 0 is used.
/// Categories are the labels table minus background (and nnU-Net's "ignore" label, which becomes
/// background), in value order; any other value in a label map is an error. imagesTr/imagesTs
/// hold no test labels, so <see cref="CaseSplit"/> holds out whole training cases.
/// </summary>
public static class NnUNetRawDataset
{
    sealed record Manifest(string Name, string Channel, LabelRemap Remap, IReadOnlyList<(string Case, string Image, string Label)> Cases);

    public static DatasetSplit Prepare(string dir, LayoutOptions options)
    {
        options.Validate();
        var manifest = ReadManifest(dir);
        string modality = options.Modality ?? Modalities.Of(manifest.Channel);
        var window = options.CtWindow("abdomen");
        var remap = manifest.Remap;
        var test = CaseSplit.TestCases(manifest.Cases.Select(c => c.Case));
        var train = new SliceCollector(options.Size);
        var held = new SliceCollector(options.Size);
        int done = 0;
        foreach (var (name, imagePath, labelPath) in manifest.Cases)
        {
            options.Progress?.Invoke(done++, manifest.Cases.Count, name);
            var image = Modalities.Normalise(MedicalImage.Load(imagePath), modality, window);
            var labels = MedicalImage.Load(labelPath);
            var coded = labels.WithData(remap.Apply(labels.Data, labelPath), "int32");
            (test.Contains(name) ? held : train).AddVolume(name, image, coded, options.Axes);
        }
        options.Progress?.Invoke(done, manifest.Cases.Count, "");
        return new DatasetSplit(
            train.Build($"{manifest.Name}-train", modality, remap.Names),
            held.Build($"{manifest.Name}-test", modality, remap.Names));
    }

    static Manifest ReadManifest(string dir)
    {
        string path = Path.Combine(dir, "dataset.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: not an nnU-Net raw dataset (no dataset.json)", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(InputFile.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("labels", out var labels) || labels.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: no \"labels\" table");
            string name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } s
                ? s : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
            bool v2 = root.TryGetProperty("channel_names", out var channels);
            if (!v2 && !root.TryGetProperty("modality", out channels))
                throw new InvalidDataException($"{path}: neither \"channel_names\" (nnU-Net v2) nor \"modality\" (v1)");
            if (channels.ValueKind != JsonValueKind.Object || !channels.TryGetProperty("0", out var channel) || channel.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: \"{(v2 ? "channel_names" : "modality")}\" has no channel \"0\"");
            var remap = v2 ? LabelsV2(labels, path) : LabelsV1(labels, path);
            string ending = v2 ? Text(root, "file_ending", path) : ".nii.gz";
            var cases = v2 || !root.TryGetProperty("training", out var training) ? ListedByLabels(dir, ending) : ListedV1(dir, training, path);
            if (cases.Count == 0) throw new InvalidDataException($"{dir}: no training cases (labelsTr/*{ending})");
            return new Manifest(name, channel.GetString()!, remap, cases);
        }
    }

    /// <summary>v2: {name: value}; a list of values is a region (overlapping labels), which one label map cannot hold.</summary>
    static LabelRemap LabelsV2(JsonElement labels, string path)
    {
        var table = new List<(int, string)>();
        foreach (var p in labels.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Array)
                throw new InvalidDataException($"{path}: label \"{p.Name}\" is a region (a list of values); region-based datasets are not supported");
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int value) || value < 0)
                throw new InvalidDataException($"{path}: label \"{p.Name}\" has value {p.Value}, not a non-negative whole number");
            table.Add((value, p.Name));
        }
        return Categories(table, path);
    }

    /// <summary>v1: {"value": name}.</summary>
    static LabelRemap LabelsV1(JsonElement labels, string path)
    {
        var table = new List<(int, string)>();
        foreach (var p in labels.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || p.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: label entry \"{p.Name}\": {p.Value} is not \"value\": \"name\"");
            table.Add((value, p.Value.GetString()!));
        }
        return Categories(table, path);
    }

    static LabelRemap Categories(List<(int Value, string Name)> table, string path)
    {
        if (table.GroupBy(t => t.Value).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{path}: label value {twice.Key} appears twice");
        static bool IsIgnore((int Value, string Name) t) => t.Name.Equals("ignore", StringComparison.OrdinalIgnoreCase);
        var categories = table.Where(t => t.Value != 0 && !IsIgnore(t)).OrderBy(t => t.Value).ToList();
        if (categories.Count == 0) throw new InvalidDataException($"{path}: the labels table has no foreground label");
        // nnU-Net's "ignore" marks unannotated voxels: as background they join no category.
        return new LabelRemap(categories, dropUnlisted: false, background: table.Where(IsIgnore).Select(t => t.Value));
    }

    static List<(string, string, string)> ListedByLabels(string dir, string ending)
    {
        string labelsDir = Path.Combine(dir, "labelsTr");
        if (!Directory.Exists(labelsDir)) throw new DirectoryNotFoundException($"{dir}: no labelsTr folder");
        return Directory.EnumerateFiles(labelsDir, "*" + ending).Order(StringComparer.Ordinal).Select(label =>
        {
            string name = Path.GetFileName(label)[..^ending.Length];
            string image = Path.Combine(dir, "imagesTr", $"{name}_0000{ending}");
            if (!File.Exists(image)) throw new FileNotFoundException($"{label}: its image imagesTr/{name}_0000{ending} is missing", image);
            return (name, image, label);
        }).ToList();
    }

    static List<(string, string, string)> ListedV1(string dir, JsonElement training, string path)
    {
        if (training.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: \"training\" is not a list");
        var cases = new List<(string, string, string)>();
        foreach (var entry in training.EnumerateArray())
        {
            string image = Resolve(dir, Text(entry, "image", path));
            string label = Resolve(dir, Text(entry, "label", path));
            string name = Path.GetFileName(label);
            name = name.EndsWith(".nii.gz", StringComparison.Ordinal) ? name[..^7] : Path.GetFileNameWithoutExtension(name);
            string converted = Path.Combine(dir, "imagesTr", $"{name}_0000.nii.gz");
            if (File.Exists(converted)) image = converted;
            foreach (var file in new[] { image, label })
                if (!File.Exists(file)) throw new FileNotFoundException($"{path}: case {name} lists {file}, which does not exist", file);
            cases.Add((name, image, label));
        }
        return cases.OrderBy(c => c.Item1, StringComparer.Ordinal).ToList();
    }

    static string Resolve(string dir, string listed) => Path.GetFullPath(Path.Combine(dir, listed));

    static string Text(JsonElement e, string key, string path) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{path}: missing text field \"{key}\"");
}
