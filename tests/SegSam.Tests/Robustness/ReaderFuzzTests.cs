using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Tests.Imaging;
using SegSam.Tests.Support;
using TorchSharp;

namespace SegSam.Tests.Robustness;

/// <summary>
/// A small valid file of every format SegSam reads: the seeds the fuzz test mutates. Most are
/// written here with SegSam's own writers; NIfTI-2, DICOM, HDF5 and torch.save files come from
/// nibabel, pydicom, h5py and PyTorch.
/// </summary>
public sealed class FuzzSeeds : PythonReferenceFiles
{
    public FuzzSeeds() : base(Script) => WriteOwnSeeds();

    const string Script = """
        import os, shutil, sys
        import numpy as np, nibabel as nib, h5py, torch
        from pydicom.data import get_testdata_file
        out = sys.argv[1]
        img = (np.arange(4 * 5 * 6).reshape(4, 5, 6) * 3 - 100).astype(np.int16)
        nib.save(nib.Nifti2Image(img, np.diag([1.0, 2.0, 3.0, 1.0])), os.path.join(out, 'seed-nifti2.nii'))
        shutil.copy(get_testdata_file('MR_small.dcm'), os.path.join(out, 'seed-dicom.dcm'))
        for name, seed in [('MR_small_RLE.dcm', 'rle'), ('MR_small_jpeg_ls_lossless.dcm', 'jpegls'), ('MR_small_jp2klossless.dcm', 'j2k'),
                           ('SC_rgb_rle.dcm', 'rgb-rle'), ('SC_rgb_dcmtk_+eb+cy+np.dcm', 'rgb-jpeg422'), ('SC_rgb_gdcm_KY.dcm', 'rgb-j2k'),
                           ('SC_ybr_full_422_uncompressed.dcm', 'ybr422')]:
            shutil.copy(get_testdata_file(name), os.path.join(out, 'seed-dicom-%s.dcm' % seed))
        import subprocess
        for options, seed in [([], 'jpeg-sv1'), (['+el', '+sv', '6'], 'jpeg-sv6'), (['+eb'], 'jpeg-baseline')]:
            subprocess.run(['dcmcjpeg', *options, get_testdata_file('MR_small.dcm' if seed != 'jpeg-baseline' else 'CT_small.dcm'),
                            os.path.join(out, 'seed-dicom-%s.dcm' % seed)], check=True)
        # Colour JPEG-LS without interleave (CharLS writes it plane by plane), from the native twin of SC_rgb_rle.
        subprocess.run(['dcmdrle', get_testdata_file('SC_rgb_rle.dcm'), os.path.join(out, 'rgb.dcm')], check=True)
        subprocess.run(['dcmcjpls', '+in', os.path.join(out, 'rgb.dcm'), os.path.join(out, 'seed-dicom-rgb-jpegls.dcm')], check=True)
        with h5py.File(os.path.join(out, 'seed-chunked.h5'), 'w') as f:
            f.create_dataset('image', data=img.astype(np.float32), chunks=(2, 5, 3), compression='gzip', shuffle=True, fletcher32=True)
            f.create_group('meta').create_dataset('label', data=(img % 3).astype(np.uint8))
            f['link'] = h5py.SoftLink('/meta/label')
        with h5py.File(os.path.join(out, 'seed-latest.h5'), 'w', libver='latest') as f:
            f.create_dataset('image', data=img)
            g = f.create_group('g')
            for i in range(10): g.create_dataset(f'd{i}', data=np.arange(i + 1, dtype=np.float64))
        torch.save({'a': torch.arange(12, dtype=torch.float32).reshape(3, 4), 'b': torch.ones(2, dtype=torch.int64)},
                   os.path.join(out, 'seed-checkpoint.pth'))
        """;

    /// <summary>Seed file name → whether it is a checkpoint (else an image).</summary>
    public static readonly IReadOnlyDictionary<string, bool> Names = new Dictionary<string, bool>
    {
        ["seed.nii"] = false, ["seed.nii.gz"] = false, ["seed-nifti2.nii"] = false, ["seed-dicom.dcm"] = false,
        ["seed-dicom-rle.dcm"] = false, ["seed-dicom-jpegls.dcm"] = false, ["seed-dicom-j2k.dcm"] = false,
        ["seed-dicom-jpeg-sv1.dcm"] = false, ["seed-dicom-jpeg-sv6.dcm"] = false, ["seed-dicom-jpeg-baseline.dcm"] = false,
        ["seed-dicom-rgb-rle.dcm"] = false, ["seed-dicom-rgb-jpeg422.dcm"] = false, ["seed-dicom-rgb-j2k.dcm"] = false,
        ["seed-dicom-ybr422.dcm"] = false, ["seed-dicom-rgb-jpegls.dcm"] = false,
        ["seed.mha"] = false, ["seed-zlib.mha"] = false, ["seed.nrrd"] = false, ["seed-gzip.nrrd"] = false,
        ["seed.png"] = false, ["seed16.png"] = false, ["seed.jpg"] = false, ["seed.bmp"] = false,
        ["seed.npy"] = false, ["seed.npz"] = false, ["seed-deflated.npz"] = false,
        ["seed-chunked.h5"] = false, ["seed-latest.h5"] = false,
        ["seed.safetensors"] = true, ["seed-checkpoint.pth"] = true,
    };

    void WriteOwnSeeds()
    {
        var values = Enumerable.Range(0, 6 * 5 * 4).Select(i => (float)(i * 3 - 100)).ToArray();
        var volume = new Volume([6, 5, 4], values, Volume.Identity());
        NiftiFile.Write(File("seed.nii"), volume, "int16");
        NiftiFile.Write(File("seed.nii.gz"), volume, "int16");
        var bytes = values.SelectMany(v => BitConverter.GetBytes((short)v)).ToArray();
        string mha = "ObjectType = Image\nNDims = 3\nDimSize = 6 5 4\nElementSpacing = 1 2 3\nOffset = 1 2 3\n" +
                     "TransformMatrix = 1 0 0 0 1 0 0 0 1\nElementType = MET_SHORT\n";
        System.IO.File.WriteAllBytes(File("seed.mha"), [.. Encoding.ASCII.GetBytes(mha + "ElementDataFile = LOCAL\n"), .. bytes]);
        System.IO.File.WriteAllBytes(File("seed-zlib.mha"), [.. Encoding.ASCII.GetBytes(mha + "CompressedData = True\nElementDataFile = LOCAL\n"), .. Compress(bytes, zlib: true)]);
        string nrrd = "NRRD0004\ntype: short\ndimension: 3\nsizes: 6 5 4\nendian: little\nspace: left-posterior-superior\n" +
                      "space directions: (1,0,0) (0,2,0) (0,0,3)\nspace origin: (1,2,3)\n";
        System.IO.File.WriteAllBytes(File("seed.nrrd"), [.. Encoding.ASCII.GetBytes(nrrd + "encoding: raw\n\n"), .. bytes]);
        System.IO.File.WriteAllBytes(File("seed-gzip.nrrd"), [.. Encoding.ASCII.GetBytes(nrrd + "encoding: gzip\n\n"), .. Compress(bytes, zlib: false)]);
        var gray = Enumerable.Range(0, 24 * 16).Select(i => (byte)(i * 7 % 251)).ToArray();
        PixelFile.WritePng(File("seed.png"), 16, 24, 1, gray);
        PixelFile.WriteGray16Png(File("seed16.png"), 16, 24, [.. gray.Select(g => (ushort)(g * 250))]);
        using (var jpg = System.IO.File.Create(File("seed.jpg")))
            new StbImageWriteSharp.ImageWriter().WriteJpg(gray, 24, 16, StbImageWriteSharp.ColorComponents.Grey, jpg, 90);
        var rgb = gray.SelectMany(g => new[] { g, (byte)(255 - g), (byte)(g / 2) }).ToArray();
        using (var bmp = System.IO.File.Create(File("seed.bmp")))
            new StbImageWriteSharp.ImageWriter().WriteBmp(rgb, 24, 16, StbImageWriteSharp.ColorComponents.RedGreenBlue, bmp);
        var array = NpyArray.From(values, 4, 5, 6);
        NpyFile.Write(File("seed.npy"), array);
        NpzFile.Write(File("seed.npz"), new Dictionary<string, NpyArray> { ["image"] = array, ["label"] = NpyArray.From(gray, 16, 24) }, compressed: false);
        NpzFile.Write(File("seed-deflated.npz"), new Dictionary<string, NpyArray> { ["image"] = array }, compressed: true);
        using (var weights = new StateDict())
        {
            weights.Add("w", torch.tensor(Enumerable.Range(0, 12).Select(i => (float)i).ToArray()).reshape(3, 4));
            weights.Add("b", torch.ones(2, dtype: torch.int64));
            SafeTensors.Write(File("seed.safetensors"), weights, new Dictionary<string, string> { ["note"] = "fuzz seed" });
        }
    }

    public static byte[] Compress(byte[] data, bool zlib)
    {
        var buffer = new MemoryStream();
        using (Stream z = zlib ? new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true) : new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(data);
        return buffer.ToArray();
    }
}

/// <summary>
/// Seeded mutations of a small valid file of every format — truncations, bit flips, header fields
/// set to extremes, shifted bytes, and compression bombs — fed to the readers. Every case must end
/// in success or the readers' documented error (<see cref="InvalidDataException"/> for images,
/// <see cref="CheckpointFormatException"/> for checkpoints), within a time limit, allocating no
/// more than the file could hold; any other exception, a hang or a blow-up fails the test, and
/// so does a truncated file that reads without error.
/// </summary>
public sealed class ReaderFuzzTests : IClassFixture<FuzzSeeds>
{
    const int CasesPerSeed = 250;
    static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    readonly FuzzSeeds seeds;

    public ReaderFuzzTests(FuzzSeeds seeds) => this.seeds = seeds;

    public static TheoryData<string> Seeds => [.. FuzzSeeds.Names.Keys];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutations_end_in_success_or_the_documented_error(string seed)
    {
        bool checkpoint = FuzzSeeds.Names[seed];
        var original = System.IO.File.ReadAllBytes(seeds.File(seed));
        Assert.Null(Read(seeds.File(seed), checkpoint, original.Length, mustFail: false));

        using var dir = new TempDir();
        string path = dir.File("case" + Extension(seed));
        var random = new Random(seed.Aggregate(17, (h, c) => h * 31 + c));
        var failures = new List<string>();
        foreach (var (kind, bytes) in Mutations(seed, original, random).Take(CasesPerSeed).Concat(Bombs(seed, original)))
        {
            System.IO.File.WriteAllBytes(path, bytes);
            // Every format records how long its data is, so a cut-off file can never be read as whole.
            if (Read(path, checkpoint, bytes.Length, mustFail: kind.StartsWith("truncated", StringComparison.Ordinal)) is { } failure)
            {
                string kept = seeds.File($"failed-{failures.Count}-{seed}");
                System.IO.File.Copy(path, kept, overwrite: true);
                failures.Add($"{kind}: {failure} (kept as {kept})");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} cases of {seed} failed:\n" + string.Join("\n", failures.Take(10)));
    }

    /// <summary>Null when the read succeeded or failed as documented, else what went wrong.</summary>
    static string? Read(string path, bool checkpoint, long length, bool mustFail)
    {
        var outcome = Bounded.Run(() =>
        {
            if (checkpoint)
            {
                CheckpointFile.Inspect(path);
                CheckpointFile.ReadMetadata(path);
                using var weights = CheckpointFile.Load(path);
            }
            else JsonSerializer.Serialize(MedicalImage.Describe(path), Json); // what info --json does
        }, PerCase);
        long allowed = (32L << 20) + 1100 * length;
        if (outcome.TimedOut) return outcome.ToString();
        if (outcome.AllocatedBytes > allowed) return $"allocated {outcome.AllocatedBytes} bytes for a {length}-byte file: {outcome}";
        return outcome.Error switch
        {
            null => mustFail ? "read as if whole" : null,
            CheckpointFormatException e when checkpoint => e.Message.Contains(path, StringComparison.Ordinal) ? null : $"message does not name the file: {e.Message}",
            InvalidDataException e when !checkpoint => e.Message.StartsWith(path, StringComparison.Ordinal) ? null : $"message does not start with the file: {e.Message}",
            _ => outcome.ToString(),
        };
    }

    static string Extension(string seed) => seed[seed.IndexOf('.')..];

    /// <summary>An endless, seeded stream of mutated copies of <paramref name="original"/>.</summary>
    static IEnumerable<(string Kind, byte[] Bytes)> Mutations(string seed, byte[] original, Random random)
    {
        int header = HeaderLength(seed, original);
        byte[][] extremes =
        [
            [0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0x7f], [0, 0, 0, 0x80], [1, 0, 0, 0],
            BitConverter.GetBytes(float.NaN), BitConverter.GetBytes(float.PositiveInfinity), BitConverter.GetBytes(1e38f),
            [0xff, 0xff], [0xff, 0x7f], [0, 0x80], BitConverter.GetBytes(long.MaxValue), BitConverter.GetBytes(double.NaN),
        ];
        string[] textExtremes = ["0", "-1", "1e308", "nan", "inf", "99999999999999999999", "2147483647", "65536", "", "x"];
        while (true)
        {
            var b = (byte[])original.Clone();
            switch (random.Next(6))
            {
                case 0:
                    int cut = random.Next(original.Length);
                    yield return ($"truncated to {cut}", b[..cut]);
                    break;
                case 1:
                    for (int i = random.Next(1, 4); i > 0; i--) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                    yield return ("bit flips", b);
                    break;
                case 2:
                    int at = random.Next(header);
                    b[at] = (byte)random.Next(256);
                    yield return ($"header byte {at}", b);
                    break;
                case 3:
                {
                    var value = extremes[random.Next(extremes.Length)];
                    int offset = random.Next(Math.Max(1, header - value.Length));
                    value.AsSpan(0, Math.Min(value.Length, b.Length - offset)).CopyTo(b.AsSpan(offset));
                    yield return ($"header field at {offset} = {Convert.ToHexString(value)}", b);
                    break;
                }
                case 4 when IsTextHeader(seed):
                {
                    // A number in the text header replaced by an extreme.
                    string text = Encoding.Latin1.GetString(b, 0, header);
                    var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"-?\d+(\.\d+)?").ToList();
                    var m = numbers[random.Next(numbers.Count)];
                    string replaced = text[..m.Index] + textExtremes[random.Next(textExtremes.Length)] + text[(m.Index + m.Length)..];
                    yield return ($"header number '{m.Value}' at {m.Index} replaced", [.. Encoding.Latin1.GetBytes(replaced), .. b[header..]]);
                    break;
                }
                default:
                {
                    // Bytes inserted or removed inside the file: everything after shifts.
                    int start = random.Next(b.Length);
                    int count = random.Next(1, 9);
                    yield return random.Next(2) == 0
                        ? ($"{count} bytes removed at {start}", [.. b[..start], .. b[Math.Min(b.Length, start + count)..]])
                        : ($"{count} bytes inserted at {start}", [.. b[..start], .. Enumerable.Repeat((byte)random.Next(256), count), .. b[start..]]);
                    break;
                }
            }
        }
    }

    /// <summary>Compressed seeds with far more data than the header asks for, and declared sizes compression cannot reach.</summary>
    static IEnumerable<(string Kind, byte[] Bytes)> Bombs(string seed, byte[] original)
    {
        var zeros = new byte[64 << 20];
        switch (seed)
        {
            case "seed.nii.gz":
                // The image, then 64 MiB of zeros in a second member.
                yield return ("gzip bomb", [.. original, .. FuzzSeeds.Compress(zeros, zlib: false)]);
                break;
            case "seed-gzip.nrrd":
            case "seed-zlib.mha":
            {
                int header = HeaderLength(seed, original);
                bool zlib = seed.EndsWith(".mha", StringComparison.Ordinal);
                yield return ("compressed zeros", [.. original[..header], .. FuzzSeeds.Compress(zeros, zlib)]);
                string text = Encoding.ASCII.GetString(original, 0, header).Replace("6 5 4", "6000 5000 400");
                yield return ("declared size beyond the compressed data", [.. Encoding.ASCII.GetBytes(text), .. original[header..]]);
                break;
            }
            case "seed-deflated.npz":
            {
                var bomb = new MemoryStream();
                using (var zip = new ZipArchive(bomb, ZipArchiveMode.Create, leaveOpen: true))
                using (var member = zip.CreateEntry("image.npy", CompressionLevel.Optimal).Open())
                {
                    NpyFile.Write(member, NpyArray.From(new byte[4], 2, 2));
                    member.Write(zeros);
                }
                yield return ("zip member far longer than its array", bomb.ToArray());
                break;
            }
        }
    }

    static bool IsTextHeader(string seed) => seed.EndsWith(".mha", StringComparison.Ordinal) || seed.EndsWith(".nrrd", StringComparison.Ordinal);

    /// <summary>Where the format's header ends (or a bound on it), so header mutations hit fields rather than pixels.</summary>
    static int HeaderLength(string seed, byte[] bytes)
    {
        if (IsTextHeader(seed))
        {
            string text = Encoding.Latin1.GetString(bytes);
            int end = seed.EndsWith(".nrrd", StringComparison.Ordinal) ? text.IndexOf("\n\n", StringComparison.Ordinal) + 2
                : text.IndexOf("ElementDataFile = LOCAL\n", StringComparison.Ordinal) + "ElementDataFile = LOCAL\n".Length;
            return end;
        }
        return Math.Min(bytes.Length, seed.EndsWith(".dcm", StringComparison.Ordinal) || seed.EndsWith(".h5", StringComparison.Ordinal) ? 2048 : 560);
    }
}
