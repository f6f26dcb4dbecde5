using System.Globalization;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.IO;

namespace SegSam.Data.Datasets;

/// <summary>
/// The SA-Med2D-16M layout: images/*.png, masks/*.png, SAMed2D_v1.json mapping each image to its
/// mask files, and SAMed2D_v1_class_mapping_id.json naming the classes (either {name: id} or
/// {id: name}). Names are MODALITY_SUB--DATASET--CASE--SLICE.png, masks the image name plus
/// --CCCC_III (class id, instance). Instances of one class merge into that class's label (where
/// masks of different classes overlap, the higher class id wins); categories are the classes
/// used, by id. The modality of an image is its name's prefix before the first "_". Images
/// are already 8-bit pictures (colour ones become gray by luma). Whole cases
/// (MODALITY_SUB--DATASET--CASE) go to one side of the <see cref="CaseSplit"/>.
/// </summary>
public static class SaMed2DDataset
{
    public const string IndexFile = "SAMed2D_v1.json";
    public const string ClassFile = "SAMed2D_v1_class_mapping_id.json";

    sealed record Entry(string Image, string Stem, string Case, string Modality, IReadOnlyList<(int Class, int Instance, string Path)> Masks);

    public static DatasetSplit Prepare(string dir, LayoutOptions options)
    {
        options.Validate();
        options.RejectWindow("SA-Med2D-16M");
        var entries = ReadIndex(dir);
        var classNames = ReadClasses(Path.Combine(dir, ClassFile));
        var used = entries.SelectMany(e => e.Masks.Select(m => m.Class)).Distinct().Order().ToList();
        foreach (int id in used)
            if (!classNames.ContainsKey(id))
                throw new InvalidDataException($"{Path.Combine(dir, ClassFile)}: no name for class id {id}, used by the masks");
        var code = used.Select((id, i) => (id, i + 1)).ToDictionary(t => t.id, t => t.Item2);
        string[] categories = used.Select(id => classNames[id]).ToArray();

        var test = CaseSplit.TestCases(entries.Select(e => e.Case));
        var train = new SliceCollector(options.Size);
        var held = new SliceCollector(options.Size);
        List<string> trainModalities = [], testModalities = [];
        int done = 0;
        foreach (var entry in entries)
        {
            options.Progress?.Invoke(done++, entries.Count, entry.Stem);
            var image = MedicalImage.FromPicture(PixelFile.Read(entry.Image), entry.Image);
            var labels = new float[image.Data.Length];
            foreach (var (classId, _, maskPath) in entry.Masks.OrderBy(m => m.Class).ThenBy(m => m.Instance))
            {
                var mask = PixelFile.Read(maskPath);
                if (mask.Width != image.Nx || mask.Height != image.Ny)
                    throw new InvalidDataException($"{maskPath}: grids differ: the mask is {mask.Width}×{mask.Height}, its image {entry.Image} {image.Nx}×{image.Ny}");
                var values = MedicalImage.Luma(mask);
                for (int i = 0; i < labels.Length; i++)
                    if (values[i] > 0) labels[i] = code[classId];
            }
            var (collector, seen) = test.Contains(entry.Case) ? (held, testModalities) : (train, trainModalities);
            var pixels = image.WithData(image.Data.Select(v => Math.Clamp(v, 0f, 255f)).ToArray(), "float32");
            int before = collector.Count;
            collector.AddVolume(entry.Stem, pixels, image.WithData(labels, "int32"), [2]);
            if (collector.Count > before) seen.Add(entry.Modality);
        }
        options.Progress?.Invoke(done, entries.Count, "");
        return new DatasetSplit(
            train.Build("samed2d-train", options.Modality ?? Modalities.Join(trainModalities), categories),
            held.Build("samed2d-test", options.Modality ?? Modalities.Join(testModalities), categories));
    }

    static List<Entry> ReadIndex(string dir)
    {
        string path = Path.Combine(dir, IndexFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: not an SA-Med2D-16M folder (no {IndexFile})", path);
        using var doc = Parse(path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected an object {{image: [mask, …]}}");
        var entries = new List<Entry>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: \"{p.Name}\" does not map to a list of masks");
            string image = Locate(dir, p.Name, "images", path);
            string stem = Path.GetFileNameWithoutExtension(image);
            var parts = stem.Split("--");
            if (parts.Length < 4) throw new InvalidDataException($"{path}: image name {stem} is not MODALITY--DATASET--CASE--SLICE");
            var masks = p.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? MaskOf(dir, m.GetString()!, path)
                : throw new InvalidDataException($"{path}: a mask of \"{p.Name}\" is not a file name")).ToList();
            string modality = Modalities.Of(parts[0].Split('_')[0]);
            entries.Add(new Entry(image, stem, string.Join("--", parts[..3]), modality, masks));
        }
        if (entries.Count == 0) throw new InvalidDataException($"{path}: lists no images");
        return entries.OrderBy(e => e.Stem, StringComparer.Ordinal).ToList();
    }

    /// <summary>The class id and instance of a mask from its name's last part, CCCC_III.</summary>
    static (int, int, string) MaskOf(string dir, string listed, string index)
    {
        string path = Locate(dir, listed, "masks", index);
        string last = Path.GetFileNameWithoutExtension(path).Split("--")[^1];
        var ids = last.Split('_');
        if (ids.Length != 2 || !int.TryParse(ids[0], NumberStyles.None, CultureInfo.InvariantCulture, out int cls)
            || !int.TryParse(ids[1], NumberStyles.None, CultureInfo.InvariantCulture, out int instance))
            throw new InvalidDataException($"{index}: mask name {Path.GetFileName(path)} does not end in --CLASS_INSTANCE (e.g. --0000_001)");
        return (cls, instance, path);
    }

    /// <summary>A listed file: relative to the dataset folder as written, else by name in <paramref name="folder"/>.</summary>
    static string Locate(string dir, string listed, string folder, string index)
    {
        foreach (var candidate in new[] { Path.Combine(dir, listed), Path.Combine(dir, folder, Path.GetFileName(listed)) })
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new FileNotFoundException($"{index}: lists {listed}, which is neither in {dir} nor in {Path.Combine(dir, folder)}", Path.Combine(dir, listed));
    }

    /// <summary>Class id → name from either direction of the mapping file.</summary>
    static Dictionary<int, string> ReadClasses(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the class mapping of SA-Med2D-16M is missing", path);
        using var doc = Parse(path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected an object of class names and ids");
        var names = new Dictionary<int, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var (id, name) = Id(p.Value) is { } value ? (value, p.Name)
                : int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int key) && p.Value.ValueKind == JsonValueKind.String ? (key, p.Value.GetString()!)
                : throw new InvalidDataException($"{path}: entry \"{p.Name}\": {p.Value} is neither name: id nor id: name");
            if (!names.TryAdd(id, name)) throw new InvalidDataException($"{path}: class id {id} is named twice");
        }
        return names;
    }

    static int? Id(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt32(out int n) && n >= 0 => n,
        JsonValueKind.String when int.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) => n,
        _ => null,
    };

    static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(InputFile.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
    }
}
