using System.Text.Json;
using SegSam.Imaging;
using SegSam.IO;

namespace SegSam.Data;

/// <summary>
/// A set of prepared 2D slices that share a size, a modality and a category list: what
/// training and evaluation read. Stored as a folder: meta.json, images.npy (S×H×W uint8),
/// labels.npy (S×H×W int32) and, when the slices carry class-agnostic object maps, objects.npy
/// (S×K×H×W int16, K maps per slice), readable with NumPy.
/// </summary>
public sealed class SliceDataset
{
    public string Name { get; init; } = "";
    public string Modality { get; init; } = "";
    /// <summary>Category names; label value c ≥ 1 in a slice means category c − 1.</summary>
    public string[] Categories { get; init; } = [];
    /// <summary>Pixel size in mm (rows, columns) after preparation, for distance metrics.</summary>
    public double[] PixelSpacing { get; init; } = [1, 1];
    public IReadOnlyList<LabelledSlice> Slices { get; init; } = [];
    /// <summary>Names of the class-agnostic object maps each slice carries (<see cref="LabelledSlice.Objects"/>), in order; empty when none.</summary>
    public IReadOnlyList<string> ObjectMapNames { get; init; } = [];

    public int Height => Slices.Count > 0 ? Slices[0].Height : 0;
    public int Width => Slices.Count > 0 ? Slices[0].Width : 0;

    sealed record Meta(string Name, string Modality, string[] Categories, double[] PixelSpacing, string[] Ids, int Height, int Width)
    {
        public string[]? ObjectMaps { get; init; }
    }

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public void Save(string dir)
    {
        if (Slices.Count == 0) throw new InvalidOperationException($"dataset {Name} has no slices to save");
        if (Slices.Any(s => s.Height != Height || s.Width != Width))
            throw new InvalidOperationException($"dataset {Name}: slices differ in size");
        Directory.CreateDirectory(dir);
        int n = Slices.Count, hw = Height * Width;
        var images = new byte[n * hw];
        var labels = new int[n * hw];
        for (int s = 0; s < n; s++)
        for (int i = 0; i < hw; i++)
        {
            images[s * hw + i] = (byte)Math.Clamp(Math.Round(Slices[s].Image[i]), 0, 255);
            labels[s * hw + i] = Slices[s].Labels[i];
        }
        NpyFile.Write(Path.Combine(dir, "images.npy"), NpyArray.From(images, n, Height, Width));
        NpyFile.Write(Path.Combine(dir, "labels.npy"), NpyArray.From(labels, n, Height, Width));
        SaveObjects(dir, n, hw);
        var meta = new Meta(Name, Modality, Categories, PixelSpacing, Slices.Select(s => s.Id).ToArray(), Height, Width)
        {
            ObjectMaps = Slices[0].Objects.Count > 0 ? ObjectMapNames.ToArray() : null,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "meta.json"), JsonSerializer.Serialize(meta, Json));
    }

    void SaveObjects(string dir, int n, int hw)
    {
        string path = Path.Combine(dir, "objects.npy");
        int k = Slices[0].Objects.Count;
        if (k == 0)
        {
            if (Slices.Any(s => s.Objects.Count > 0)) throw new InvalidOperationException($"dataset {Name}: only some slices carry object maps");
            if (File.Exists(path)) File.Delete(path);
            return;
        }
        if (ObjectMapNames.Count != k) throw new InvalidOperationException($"dataset {Name}: {k} object maps per slice but {ObjectMapNames.Count} map names");
        if (Slices.Any(s => s.Objects.Count != k || s.Objects.Any(m => m.Length != hw)))
            throw new InvalidOperationException($"dataset {Name}: slices differ in their object maps");
        var objects = new short[(long)n * k * hw];
        for (int s = 0; s < n; s++)
        for (int m = 0; m < k; m++)
        {
            var map = Slices[s].Objects[m];
            long offset = ((long)s * k + m) * hw;
            for (int i = 0; i < hw; i++)
            {
                if (map[i] is < 0 or > short.MaxValue) throw new InvalidOperationException($"dataset {Name}: object id {map[i]} outside 0..{short.MaxValue}");
                objects[offset + i] = (short)map[i];
            }
        }
        NpyFile.Write(path, NpyArray.From(objects, n, k, Height, Width));
    }

    /// <summary>
    /// One split (e.g. "train") of a folder from `segsam prepare`: DIR/SPLIT when it exists, else
    /// DIR itself, so that a dataset folder can also be given directly.
    /// </summary>
    public static SliceDataset LoadSplit(string dir, string split)
    {
        string splitDir = Path.Combine(dir, split);
        return Load(Directory.Exists(splitDir) ? splitDir : dir);
    }

    static (int Count, float[]? Ids) LoadObjects(string dir, int slices, int height, int width)
    {
        string path = Path.Combine(dir, "objects.npy");
        if (!File.Exists(path)) return (0, null);
        var objects = NpyFile.Read(path);
        if (objects.Shape.Length != 4 || objects.Shape[0] != slices || objects.Shape[2] != height || objects.Shape[3] != width)
            throw new InvalidDataException($"{path}: shape {Shapes.Format(objects.Shape)} does not match meta.json (expected {slices}×K×{height}×{width})");
        return ((int)objects.Shape[1], objects.ToFloat32());
    }

    public static SliceDataset Load(string dir)
    {
        string metaPath = Path.Combine(dir, "meta.json");
        if (!File.Exists(metaPath)) throw new FileNotFoundException($"{dir}: not a prepared dataset (no meta.json); run `segsam prepare` first", metaPath);
        Meta meta;
        try
        {
            meta = JsonSerializer.Deserialize<Meta>(InputFile.ReadAllText(metaPath), Json) ?? throw new InvalidDataException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{metaPath}: unreadable dataset metadata: {e.Message}", e);
        }
        var images = NpyFile.Read(Path.Combine(dir, "images.npy"));
        var labels = NpyFile.Read(Path.Combine(dir, "labels.npy"));
        long[] expected = [meta.Ids.Length, meta.Height, meta.Width];
        if (!images.Shape.SequenceEqual(expected) || !labels.Shape.SequenceEqual(expected))
            throw new InvalidDataException($"{dir}: images {Shapes.Format(images.Shape)} / labels {Shapes.Format(labels.Shape)} do not match meta.json ({Shapes.Format(expected)})");
        var pixels = images.ToFloat32();
        var codes = labels.ToFloat32();
        int hw = meta.Height * meta.Width;
        var (objectCount, objectIds) = LoadObjects(dir, meta.Ids.Length, meta.Height, meta.Width);
        var mapNames = meta.ObjectMaps ?? [];
        if (mapNames.Length != objectCount)
            throw new InvalidDataException($"{dir}: objects.npy holds {objectCount} map(s) per slice but meta.json names {mapNames.Length}");
        var slices = new List<LabelledSlice>(meta.Ids.Length);
        for (int s = 0; s < meta.Ids.Length; s++)
        {
            var image = pixels.AsSpan(s * hw, hw).ToArray();
            var label = new int[hw];
            for (int i = 0; i < hw; i++)
            {
                int code = (int)codes[s * hw + i];
                if (code < 0 || code > meta.Categories.Length)
                    throw new InvalidDataException($"{dir}: slice {meta.Ids[s]} has label {code}, outside 0..{meta.Categories.Length}");
                label[i] = code;
            }
            var objects = new int[objectCount][];
            for (int m = 0; m < objectCount; m++)
            {
                objects[m] = new int[hw];
                long offset = ((long)s * objectCount + m) * hw;
                for (int i = 0; i < hw; i++)
                {
                    float id = objectIds![offset + i];
                    if (id < 0) throw new InvalidDataException($"{dir}: slice {meta.Ids[s]} has object id {id} in objects.npy");
                    objects[m][i] = (int)id;
                }
            }
            slices.Add(new LabelledSlice(meta.Ids[s], meta.Height, meta.Width, image, label) { Objects = objects });
        }
        return new SliceDataset
        {
            Name = meta.Name, Modality = meta.Modality, Categories = meta.Categories, PixelSpacing = meta.PixelSpacing, Slices = slices,
            ObjectMapNames = mapNames,
        };
    }
}
