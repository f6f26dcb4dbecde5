using System.Globalization;
using System.Text.RegularExpressions;
using SegSam.Imaging;

namespace SegSam.Data.Datasets;

/// <summary>
/// Synapse multi-organ CT (BTCV) with the protocol of TransUNet and PG-SAM: 8 organs (1 spleen,
/// 2 right kidney, 3 left kidney, 4 gallbladder, 6 liver → 5, 7 stomach → 6, 8 aorta → 7,
/// 11 pancreas → 8, every other label background), cases 1, 2, 3, 4, 8, 22, 25, 29, 32, 35, 36
/// and 38 for testing and the rest for training. Two layouts: the raw NIfTI
/// (img/imgXXXX.nii.gz + label/labelXXXX.nii.gz; HU clipped to [−125, 275] and scaled to
/// [0, 255] unless another window is given), and TransUNet's preprocessed one
/// (train_npz/caseXXXX_sliceYYY.npz and test_vol_h5/caseXXXX.npy.h5, "image" already clipped
/// and scaled to [0, 1], "label" already coded 0..8), whose split is its folders.
/// </summary>
public static partial class SynapseDataset
{
    public static readonly string[] Organs = ["spleen", "right kidney", "left kidney", "gallbladder", "liver", "stomach", "aorta", "pancreas"];
    /// <summary>BTCV label values of <see cref="Organs"/>, in order.</summary>
    public static readonly int[] SourceLabels = [1, 2, 3, 4, 6, 7, 8, 11];
    public static readonly IReadOnlySet<int> TestCases = new HashSet<int> { 1, 2, 3, 4, 8, 22, 25, 29, 32, 35, 36, 38 };

    public static bool IsTestCase(int caseNumber) => TestCases.Contains(caseNumber);

    /// <summary>The raw BTCV layout: folder <paramref name="dir"/> holding img/ and label/.</summary>
    public static DatasetSplit PrepareRaw(string dir, LayoutOptions options)
    {
        options.Validate();
        string imageDir = Path.Combine(dir, "img"), labelDir = Path.Combine(dir, "label");
        if (!Directory.Exists(imageDir) || !Directory.Exists(labelDir))
            throw new DirectoryNotFoundException($"{dir}: not a Synapse (BTCV) folder: img/ and label/ are expected");
        var cases = Directory.EnumerateFiles(labelDir, "label*.nii*")
            .Select(f => (File: f, Match: RawLabelName().Match(Path.GetFileName(f))))
            .Where(c => c.Match.Success)
            .Select(c => (Number: int.Parse(c.Match.Groups[1].Value, CultureInfo.InvariantCulture), Digits: c.Match.Groups[1].Value, Label: c.File))
            .OrderBy(c => c.Number)
            .ToList();
        if (cases.Count == 0) throw new InvalidDataException($"{labelDir}: no labelXXXX.nii.gz files");

        string modality = options.Modality ?? "CT";
        var window = options.CtWindow("transunet");
        var remap = Remap();
        var train = new SliceCollector(options.Size);
        var test = new SliceCollector(options.Size);
        int done = 0;
        foreach (var (number, digits, labelPath) in cases)
        {
            string id = $"case{number:D4}";
            options.Progress?.Invoke(done++, cases.Count, id);
            string imagePath = new[] { ".nii.gz", ".nii" }.Select(e => Path.Combine(imageDir, $"img{digits}{e}")).FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"{labelPath}: its image img/img{digits}.nii.gz is missing", Path.Combine(imageDir, $"img{digits}.nii.gz"));
            var image = Modalities.Normalise(MedicalImage.Load(imagePath), modality, window);
            var labels = MedicalImage.Load(labelPath);
            var coded = labels.WithData(remap.Apply(labels.Data, labelPath), "uint8");
            (IsTestCase(number) ? test : train).AddVolume(id, image, coded, options.Axes);
        }
        options.Progress?.Invoke(done, cases.Count, "");
        return new DatasetSplit(train.Build("synapse-train", modality, Organs), test.Build("synapse-test", modality, Organs));
    }

    /// <summary>TransUNet's layout: folder <paramref name="dir"/> holding train_npz/ and test_vol_h5/.</summary>
    public static DatasetSplit PrepareTransUnet(string dir, LayoutOptions options)
    {
        options.Validate();
        options.RejectWindow("TransUNet's preprocessed Synapse");
        string trainDir = Path.Combine(dir, "train_npz"), testDir = Path.Combine(dir, "test_vol_h5");
        if (!Directory.Exists(trainDir) || !Directory.Exists(testDir))
            throw new DirectoryNotFoundException($"{dir}: not TransUNet's Synapse layout: train_npz/ and test_vol_h5/ are expected");
        var slices = Directory.EnumerateFiles(trainDir, "*.npz").Order(StringComparer.Ordinal).ToList();
        var volumes = Directory.EnumerateFiles(testDir, "*.h5").Order(StringComparer.Ordinal).ToList();
        if (slices.Count == 0) throw new InvalidDataException($"{trainDir}: no .npz slices");
        if (volumes.Count == 0) throw new InvalidDataException($"{testDir}: no .h5 volumes");

        string modality = options.Modality ?? "CT";
        var train = new SliceCollector(options.Size);
        var test = new SliceCollector(options.Size);
        int done = 0, total = slices.Count + volumes.Count;
        foreach (var file in slices)
        {
            string id = Path.GetFileNameWithoutExtension(file);
            options.Progress?.Invoke(done++, total, id);
            var arrays = NpzFile.Read(file);
            var (image, labels) = Pair(file, Member(arrays, "image", file), Member(arrays, "label", file));
            train.AddVolume(id, image, labels, [2]);
        }
        foreach (var file in volumes)
        {
            string id = Path.GetFileName(file).Split('.')[0];
            options.Progress?.Invoke(done++, total, id);
            var (image, labels) = Pair(file, Hdf5File.ReadDataset(file, "image"), Hdf5File.ReadDataset(file, "label"));
            test.AddVolume(id, image, labels, options.Axes);
        }
        options.Progress?.Invoke(done, total, "");
        return new DatasetSplit(train.Build("transunet-train", modality, Organs), test.Build("transunet-test", modality, Organs));
    }

    static LabelRemap Remap() => new(SourceLabels.Zip(Organs).ToList(), dropUnlisted: true);

    /// <summary>A raw BTCV label map (13 organs) as the protocol's codes 0..8 (other organs → 0).</summary>
    public static float[] RemapRawLabels(float[] labels, string source) => Remap().Apply(labels, source);

    static NpyArray Member(IReadOnlyDictionary<string, NpyArray> arrays, string name, string file) =>
        arrays.TryGetValue(name, out var a) ? a
            : throw new InvalidDataException($"{file}: no \"{name}\" array (it holds {string.Join(", ", arrays.Keys)})");

    /// <summary>TransUNet arrays as volumes: image [0, 1] → [0, 255]; labels checked to be the 0..8 codes.</summary>
    static (Volume Image, Volume Labels) Pair(string file, NpyArray image, NpyArray labels)
    {
        if (!image.Shape.SequenceEqual(labels.Shape))
            throw new InvalidDataException($"{file}: grids differ: image {Shapes.Format(image.Shape)}, label {Shapes.Format(labels.Shape)}");
        var imageVolume = MedicalImage.FromArray(image, $"{file}: image");
        var labelVolume = MedicalImage.FromArray(labels, $"{file}: label");
        var scaled = imageVolume.Data.Select(v => Math.Clamp(v * 255f, 0f, 255f)).ToArray();
        var codes = new LabelRemap(Enumerable.Range(1, Organs.Length).Zip(Organs).ToList(), dropUnlisted: false).Apply(labelVolume.Data, $"{file}: label");
        return (imageVolume.WithData(scaled, "float32"), labelVolume.WithData(codes, "uint8"));
    }

    [GeneratedRegex(@"^label(\d+)\.nii(\.gz)?$")]
    private static partial Regex RawLabelName();
}
