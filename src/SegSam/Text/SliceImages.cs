using SegSam.Data;
using SegSam.Imaging;
using SegSam.IO;

namespace SegSam.Text;

/// <summary>The slices of a prepared dataset or of a folder of pictures, as <see cref="SliceImage"/>s.</summary>
public static class SliceImages
{
    static readonly string[] PictureExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// The slices of prepared data: <paramref name="dir"/> is one prepared set (it has meta.json,
    /// e.g. data/cache/atlas-128/train) or a dataset root whose subfolders are sets (every
    /// subfolder with a meta.json, in name order: train, test, macaque…). Slice ids must be
    /// unique across the sets, since one descriptions file serves them all.
    /// </summary>
    public static IReadOnlyList<SliceImage> FromPreparedData(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"prepared data folder {dir} not found");
        List<string> sets = File.Exists(Path.Combine(dir, "meta.json"))
            ? [dir]
            : Directory.GetDirectories(dir).Where(d => File.Exists(Path.Combine(d, "meta.json"))).Order(StringComparer.Ordinal).ToList();
        if (sets.Count == 0)
            throw new FileNotFoundException($"{dir}: not prepared data (no meta.json in it or in any subfolder); run `segsam prepare` first", Path.Combine(dir, "meta.json"));
        var slices = new List<SliceImage>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string set in sets)
        {
            foreach (var slice in FromDataset(SliceDataset.Load(set), set))
            {
                if (!seen.TryAdd(slice.Id, set))
                    throw new InvalidDataException($"slice id '{slice.Id}' is in both {seen[slice.Id]} and {set}; describe one set at a time (--data {set}) into separate files");
                slices.Add(slice);
            }
        }
        return slices;
    }

    /// <summary>
    /// The slices of a loaded dataset, each rendered as the 8-bit gray PNG of its stored pixels
    /// (the prepared size, e.g. 128×128: what the model itself sees).
    /// </summary>
    public static IReadOnlyList<SliceImage> FromDataset(SliceDataset data, string source)
    {
        string? modality = string.IsNullOrWhiteSpace(data.Modality) ? null : data.Modality;
        return data.Slices.Select(s => new SliceImage(s.Id, source, modality, () => new EncodedImage(Render(s), "image/png"))).ToList();
    }

    /// <summary>The 8-bit gray PNG of a prepared slice's pixels (values rounded and clamped to 0–255).</summary>
    public static byte[] Render(LabelledSlice slice)
    {
        var pixels = new byte[slice.Image.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Clamp(Math.Round(slice.Image[i]), 0, 255);
        return PixelFile.EncodePng(slice.Height, slice.Width, 1, pixels);
    }

    /// <summary>
    /// The pictures directly in <paramref name="dir"/> (*.png, *.jpg, *.jpeg, any case; other files
    /// ignored), in name order; a slice's id is its file name without the extension. Every
    /// picture is decoded here, so a broken file stops the run before any request, named. An
    /// 8-bit PNG or a JPEG is sent as it is; anything else (a 16-bit PNG, a BMP under a picture
    /// name) as an 8-bit PNG, 16-bit values scaled from their minimum–maximum to 0–255.
    /// </summary>
    public static IReadOnlyList<SliceImage> FromFolder(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"image folder {dir} not found");
        var files = Directory.GetFiles(dir)
            .Where(f => PictureExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{dir}: no images to describe (expected PNG or JPEG files: *.png, *.jpg, *.jpeg)");

        var slices = new List<SliceImage>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (string file in files)
        {
            string id = Path.GetFileNameWithoutExtension(file);
            if (!seen.TryAdd(id, file))
                throw new InvalidDataException($"{seen[id]} and {file} would both be slice '{id}'; keep one");
            try
            {
                Encode(file);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
            {
                bad.Add(e.Message.Contains(file, StringComparison.Ordinal) ? e.Message : $"{file}: {e.Message}");
                continue;
            }
            slices.Add(new SliceImage(id, file, null, () => Encode(file)));
        }
        if (bad.Count > 0)
            throw new InvalidDataException($"{bad.Count} of {files.Count} images in {dir} cannot be read: "
                + string.Join("; ", bad.Take(5)) + (bad.Count > 5 ? $"; and {bad.Count - 5} more" : ""));
        return slices;
    }

    static EncodedImage Encode(string file)
    {
        byte[] bytes = InputFile.ReadAllBytes(file);
        var image = PixelFile.Read(file); // decodes, so a broken file fails here, named
        bool png = PngDecoder.HasSignature(bytes);
        bool jpeg = bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
        if (jpeg) return new EncodedImage(bytes, "image/jpeg");
        if (png && image.IsUInt8) return new EncodedImage(bytes, "image/png");
        return new EncodedImage(ToPng8(image), "image/png");
    }

    static byte[] ToPng8(RasterImage image)
    {
        float min = image.Data.Min(), max = image.Data.Max();
        float scale = image.IsUInt8 ? 1 : max > min ? 255f / (max - min) : 0;
        float offset = image.IsUInt8 ? 0 : min;
        var pixels = image.Data.Select(v => (byte)Math.Clamp(MathF.Round((v - offset) * scale), 0, 255)).ToArray();
        return PixelFile.EncodePng(image.Height, image.Width, image.Channels, pixels);
    }
}
