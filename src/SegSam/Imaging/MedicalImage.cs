using SegSam.Imaging.Dicom;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// One entry point for every image format SegSam reads: picks the reader from the file's name
/// or, when the name says nothing, from its first bytes, and returns a <see cref="Volume"/>.
///
/// Pictures and arrays carry no geometry. They are placed the way ITK (and so SimpleITK and
/// MONAI) places a PNG: index axes along +x and +y of LPS space with the given voxel size, i.e.
/// the RAS+ affine diag(−sx, −sy, sz). With that affine <see cref="Data.SliceGeometry"/>'s axial
/// view shows each picture, and each z-slice of an array, exactly as stored; an identity affine
/// would show them turned by 180°.
/// </summary>
public static class MedicalImage
{
    public const string SupportedTypes =
        "NIfTI (.nii, .nii.gz, .hdr/.img), DICOM (a series folder, .dcm or any Part-10 file), MetaImage (.mha, .mhd), " +
        "NRRD (.nrrd, .nhdr), pictures (.png, .jpg, .jpeg, .bmp), NumPy (.npy; .npz with an \"image\" or \"imgs\" array), " +
        "HDF5 (.h5, .hdf5 with an \"image\" dataset)";

    /// <summary>The array names of a .npz read as the image: TransUNet's "image", MedSAM's "imgs".</summary>
    static readonly string[] NpzImageNames = ["image", "imgs"];
    const string Hdf5ImageName = "image";

    static readonly (string Suffix, ImageFormat Format)[] Suffixes =
    [
        (".nii.gz", ImageFormat.Nifti), (".nii", ImageFormat.Nifti), (".hdr", ImageFormat.Nifti), (".hdr.gz", ImageFormat.Nifti),
        (".img", ImageFormat.Nifti), (".img.gz", ImageFormat.Nifti),
        (".dcm", ImageFormat.Dicom), (".dicom", ImageFormat.Dicom), (".ima", ImageFormat.Dicom),
        (".mha", ImageFormat.MetaImage), (".mhd", ImageFormat.MetaImage),
        (".nrrd", ImageFormat.Nrrd), (".nhdr", ImageFormat.Nrrd),
        (".png", ImageFormat.Picture), (".jpg", ImageFormat.Picture), (".jpeg", ImageFormat.Picture), (".bmp", ImageFormat.Picture),
        (".npy", ImageFormat.Npy), (".npz", ImageFormat.Npz),
        (".h5", ImageFormat.Hdf5), (".hdf5", ImageFormat.Hdf5), (".hdf", ImageFormat.Hdf5),
    ];

    /// <summary>
    /// Reads the image at <paramref name="path"/> (a file, or a folder holding one DICOM series).
    /// <paramref name="spacing"/> (x, y[, z] in mm, default 1) sizes the voxels of pictures and
    /// arrays, which carry none. Problems with the input are <see cref="FileNotFoundException"/>
    /// or <see cref="InvalidDataException"/> whose message starts with the path.
    /// </summary>
    public static Volume Load(string path, double[]? spacing = null) => Read(path, spacing, listArrays: false).Volume;

    /// <summary>What <c>segsam info</c> reports: format, grid, geometry, value range and the format's own facts.</summary>
    public static ImageFacts Describe(string path, double[]? spacing = null)
    {
        var (format, volume, nifti, dicom, arrays, imageArray) = Read(path, spacing, listArrays: true);
        return new ImageFacts
        {
            Path = path,
            Format = FormatName(path, format, nifti),
            Volume = VolumeFacts.Of(volume),
            Nifti = nifti is null ? null : NiftiFacts.Of(nifti),
            Dicom = dicom,
            Arrays = arrays,
            ImageArray = imageArray,
        };
    }

    /// <summary>The format of <paramref name="path"/>: a folder is DICOM; a file by its name, else by its content.</summary>
    public static ImageFormat Detect(string path)
    {
        if (Directory.Exists(path)) return ImageFormat.Dicom;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        string name = Path.GetFileName(path).ToLowerInvariant();
        foreach (var (suffix, format) in Suffixes)
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return format;
        return Sniff(path) ?? throw new InvalidDataException($"{path}: unknown image type; supported: {SupportedTypes}");
    }

    /// <summary>
    /// An array as a volume: H×W is one slice; D×H×W is (z, y, x) in C order, as TransUNet and
    /// MedSAM store volumes, so x varies fastest as <see cref="Volume"/> wants; H×W×3 and H×W×1
    /// (a last axis of 3 or 1 is no real volume) are a colour or gray picture.
    /// </summary>
    public static Volume FromArray(NpyArray array, string source, double[]? spacing = null)
    {
        var s = array.Shape;
        if (s.Length == 3 && s[2] is 1 or 3) return FromPicture(RasterImage.FromNpy(array, source), source, spacing, array.DType.Name);
        if (s.Length is not (2 or 3) || s.Any(d => d < 1 || d > int.MaxValue))
            throw new InvalidDataException($"{source}: expected an H×W image or a D×H×W volume, got shape {Shapes.Format(s)}");
        int[] dims = s.Length == 2 ? [(int)s[1], (int)s[0], 1] : [(int)s[2], (int)s[1], (int)s[0]];
        var data = array.ToFloat32();
        if (data.Any(v => !float.IsFinite(v)))
            throw new InvalidDataException($"{source}: the array holds NaN or infinite values");
        return new Volume(dims, data, PictureAffine(spacing, source), source) { SourceDataType = array.DType.Name };
    }

    /// <summary>A picture as a one-slice volume: gray as is, RGB as ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B).</summary>
    public static Volume FromPicture(RasterImage image, string source, double[]? spacing = null, string? dataType = null)
    {
        var gray = Luma(image);
        string type = dataType ?? (image.IsUInt8 ? "uint8" : "uint16");
        return new Volume([image.Width, image.Height, 1], gray, PictureAffine(spacing, source), source) { SourceDataType = type };
    }

    /// <summary>Gray values of a picture: the channel itself, or ITU-R 601 luma of RGB (PIL's "L" weights, unrounded).</summary>
    public static float[] Luma(RasterImage image)
    {
        if (image.Channels == 1) return (float[])image.Data.Clone();
        var gray = new float[image.Height * image.Width];
        for (int i = 0; i < gray.Length; i++)
            gray[i] = (float)LumaOf(image.Data[3 * i], image.Data[3 * i + 1], image.Data[3 * i + 2]);
        return gray;
    }

    /// <summary>
    /// The one rule SegSam turns colour into gray by, for pictures and colour DICOM alike:
    /// ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B (PIL's "L" weights), unrounded. In double, so
    /// that gray stored as RGB (R = G = B) comes back exactly.
    /// </summary>
    internal static double LumaOf(double r, double g, double b) => 0.299 * r + 0.587 * g + 0.114 * b;

    /// <summary>diag(−sx, −sy, sz): ITK's identity direction in LPS, as RAS+ (see the class comment).</summary>
    static double[,] PictureAffine(double[]? spacing, string source)
    {
        double[] s = spacing ?? [1, 1, 1];
        if (s.Length is not (2 or 3) || s.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new ArgumentException($"{source}: voxel spacing must be two or three positive sizes in mm, got [{string.Join(", ", s)}]");
        var affine = Volume.Identity();
        affine[0, 0] = -s[0];
        affine[1, 1] = -s[1];
        affine[2, 2] = s.Length == 3 ? s[2] : 1;
        return affine;
    }

    sealed record Loaded(ImageFormat Format, Volume Volume, NiftiImage? Nifti, DicomSeriesSummary? Dicom,
        IReadOnlyList<ArrayFacts> Arrays, string? ImageArray);

    /// <summary>Reads the volume; <paramref name="listArrays"/> also reads every other dataset of an HDF5 file, to describe it.</summary>
    static Loaded Read(string path, double[]? spacing, bool listArrays)
    {
        var format = Detect(path);
        switch (format)
        {
            case ImageFormat.Nifti:
                var nifti = NiftiFile.Read(path);
                return new Loaded(format, nifti.Volume, nifti, null, [], null);
            case ImageFormat.Dicom:
                DicomSeries series;
                try
                {
                    series = DicomSeries.Load(path);
                }
                catch (DicomFormatException e)
                {
                    // Callers (and the CLI's exit codes) treat bad input uniformly as InvalidDataException.
                    throw new InvalidDataException(e.Message, e);
                }
                return new Loaded(format, series.Volume, null, series.Summary, [], null);
            case ImageFormat.MetaImage:
                return new Loaded(format, MetaImageFile.Read(path), null, null, [], null);
            case ImageFormat.Nrrd:
                return new Loaded(format, NrrdFile.Read(path), null, null, [], null);
            case ImageFormat.Picture:
                return new Loaded(format, FromPicture(PixelFile.Read(path), path, spacing), null, null, [], null);
            case ImageFormat.Npy:
                var npy = NpyFile.Read(path);
                return new Loaded(format, FromArray(npy, path, spacing), null, null, [ArrayFacts.Of("", npy)], null);
            case ImageFormat.Npz:
                return FromMembers(format, path, NpzFile.Read(path), NpzImageNames, "array", spacing);
            case ImageFormat.Hdf5:
                var datasets = (listArrays ? Hdf5File.ListDatasets(path) : []).ToDictionary(d => d, d => Hdf5File.ReadDataset(path, d));
                // "image" may be a soft link, which a listing (like h5py's visititems) leaves out;
                // a missing one is reported with the datasets the file holds.
                if (!datasets.ContainsKey(Hdf5ImageName)) datasets[Hdf5ImageName] = Hdf5File.ReadDataset(path, Hdf5ImageName);
                return FromMembers(format, path, datasets, [Hdf5ImageName], "dataset", spacing);
            default:
                throw new InvalidOperationException($"no reader for {format}");
        }
    }

    /// <summary>The volume of a multi-array file (.npz, HDF5): the first of <paramref name="names"/> present.</summary>
    static Loaded FromMembers(ImageFormat format, string path, IReadOnlyDictionary<string, NpyArray> members, string[] names, string what, double[]? spacing)
    {
        var arrays = members.Select(m => ArrayFacts.Of(m.Key, m.Value)).ToArray();
        string name = names.FirstOrDefault(members.ContainsKey)
            ?? throw new InvalidDataException($"{path}: no image {what} (looked for {string.Join(", ", names.Select(n => $"\"{n}\""))}; " +
                $"the file holds {(arrays.Length == 0 ? "none" : string.Join(", ", arrays.Select(a => a.ToString())))})");
        return new Loaded(format, FromArray(members[name], $"{path}: {what} '{name}'", spacing), null, null, arrays, name);
    }

    /// <summary>Recognises a file by its first bytes; null when nothing matches.</summary>
    static ImageFormat? Sniff(string path)
    {
        var head = new byte[132];
        int n;
        using (var file = InputFile.OpenRead(path)) n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var b = head.AsSpan(0, n);
        if (n >= 132 && b[128..132].SequenceEqual("DICM"u8)) return ImageFormat.Dicom;
        if (b.StartsWith((ReadOnlySpan<byte>)[0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'])) return ImageFormat.Npy;
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a])) return ImageFormat.Hdf5;
        if (b.StartsWith("PK\x03\x04"u8)) return ImageFormat.Npz;
        if (b.StartsWith("NRRD000"u8)) return ImageFormat.Nrrd;
        if (PngDecoder.HasSignature(b) || b.StartsWith((ReadOnlySpan<byte>)[0xff, 0xd8, 0xff]) || b.StartsWith("BM"u8)) return ImageFormat.Picture;
        // gzip (NIfTI is the only gzipped format read without a telling name) or a raw NIfTI header size.
        if (b.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return ImageFormat.Nifti;
        if (n >= 4 && (BitConverter.ToInt32(head) is 348 or 540 || System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head) is 348 or 540))
            return ImageFormat.Nifti;
        return null;
    }

    static string FormatName(string path, ImageFormat format, NiftiImage? nifti) => format switch
    {
        ImageFormat.Nifti => $"NIfTI-{nifti!.Version}",
        ImageFormat.Dicom => "DICOM",
        ImageFormat.MetaImage => "MetaImage",
        ImageFormat.Nrrd => "NRRD",
        ImageFormat.Picture => PictureKind(path),
        ImageFormat.Npy => "NumPy .npy",
        ImageFormat.Npz => "NumPy .npz",
        ImageFormat.Hdf5 => "HDF5",
        _ => format.ToString(),
    };

    static string PictureKind(string path)
    {
        var head = new byte[8];
        using (var file = InputFile.OpenRead(path)) file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return PngDecoder.HasSignature(head) ? "PNG" : head[0] == 0xff && head[1] == 0xd8 ? "JPEG" : head[0] == 'B' && head[1] == 'M' ? "BMP" : "picture";
    }
}
