using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// Reference files written once per test class by a Python script (numpy, PIL, h5py) into a
/// temporary folder, with the script's manifest.json describing each case when it writes one.
/// </summary>
public abstract class PythonReferenceFiles : IDisposable
{
    readonly TempDir dir = new();
    readonly JsonDocument? manifest;

    protected PythonReferenceFiles(string script)
    {
        Python.Run(script, [dir.Path]);
        string file = dir.File("manifest.json");
        if (System.IO.File.Exists(file)) manifest = JsonDocument.Parse(System.IO.File.ReadAllText(file));
    }

    public string Dir => dir.Path;
    public string File(string name) => dir.File(name);
    public JsonElement Case(string name) => manifest!.RootElement.GetProperty(name);

    public void Dispose()
    {
        manifest?.Dispose();
        dir.Dispose();
    }
}

public sealed class PngFiles() : PythonReferenceFiles(FormatScripts.Png);
public sealed class MetaImageNrrdFiles() : PythonReferenceFiles(FormatScripts.Volumes);
public sealed class NpzFiles() : PythonReferenceFiles(FormatScripts.Npz);
public sealed class Hdf5Files() : PythonReferenceFiles(FormatScripts.Hdf5);

static class FormatErrors
{
    /// <summary>
    /// Asserts that reading fails with a file-format exception (not a crash such as an index or
    /// null error) whose message starts with the file's path and names the problem.
    /// </summary>
    public static void Rejected(string path, Action read, params string[] anyOf)
    {
        var e = Assert.ThrowsAny<Exception>(read);
        Assert.True(e is InvalidDataException or FileNotFoundException, $"{e.GetType().Name}: {e.Message}");
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.True(anyOf.Any(w => e.Message.Contains(w, StringComparison.OrdinalIgnoreCase)),
            $"'{e.Message}' names none of: {string.Join(" | ", anyOf)}");
    }
}

public sealed class PngFormatTests(PngFiles files) : IClassFixture<PngFiles>
{
    public static TheoryData<string> Cases =>
    [
        "pil_gray8", "pil_gray16", "pil_rgb", "pil_rgba", "pil_la", "pil_palette8", "pil_palette4", "pil_1bit",
        "hw_gray2", "hw_gray4", "hw_palette1", "hw_palette2", "hw_rgb8_filters", "hw_gray8_multi_idat",
        "hw_rgb16_filters", "hw_rgba16", "hw_la16", "hw_adam7_rgb8", "hw_adam7_gray16", "hw_adam7_gray1",
        "hw_adam7_1x1", "hw_adam7_palette4",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoder_matches_reference_samples_exactly(string name)
    {
        var c = files.Case(name);
        var png = PngDecoder.Read(c.GetProperty("file").GetString()!);
        var expected = NpyFile.Read(files.File(name + "_samples.npy"));
        Assert.Equal(expected.Shape, new long[] { png.Height, png.Width, png.Channels });
        Assert.Equal(c.GetProperty("depth").GetInt32(), png.BitDepth);
        Assert.Equal(expected.ToFloat32(), png.Data);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Raster_load_gives_gray_or_rgb_like_PIL(string name)
    {
        var c = files.Case(name);
        var image = RasterImage.Load(c.GetProperty("file").GetString()!);
        var expected = NpyFile.Read(files.File(name + "_raster.npy"));
        Assert.Equal(expected.Shape, new long[] { image.Height, image.Width, image.Channels });
        Assert.Equal(c.GetProperty("rasterUInt8").GetBoolean(), image.IsUInt8);
        Assert.Equal(expected.ToFloat32(), image.Data);
    }

    [Fact]
    public void Sixteen_bit_gray_keeps_values_above_255()
    {
        var image = RasterImage.Load(files.File("pil_gray16.png"));
        Assert.False(image.IsUInt8);
        Assert.Equal([0f, 255f, 65535f], image.Data[..3]);
    }

    [Theory]
    [InlineData("bad_signature", "bad signature")]
    [InlineData("bad_truncated", "truncated")]
    [InlineData("bad_no_iend", "truncated")]
    [InlineData("bad_crc", "CRC")]
    [InlineData("bad_zlib", "zlib")]
    [InlineData("bad_trailing_data", "5 bytes of trailing data after the PNG's IEND chunk")]
    [InlineData("bad_zlib_no_checksum", "Adler-32")]
    [InlineData("bad_zlib_bytes_after_stream", "Adler-32")]
    [InlineData("bad_zlib_checksum", "zlib")]
    [InlineData("bad_long_data", "more than the image's 26 bytes")]
    [InlineData("bad_short_data", "truncated PNG image data")]
    [InlineData("bad_filter", "filter type")]
    [InlineData("bad_depth", "colour type")]
    [InlineData("bad_no_plte", "PLTE")]
    [InlineData("bad_first_chunk", "IHDR")]
    [InlineData("bad_zero_width", "size")]
    public void Damaged_png_is_rejected_with_its_path(string name, string problem)
    {
        string path = files.File(name + ".png");
        FormatErrors.Rejected(path, () => PngDecoder.Read(path), problem);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), problem);
    }

    [Fact]
    public void Palette_index_beyond_the_palette_fails_only_when_looked_up()
    {
        string path = files.File("bad_palette_index.png");
        Assert.Equal([0f, 5f], PngDecoder.Read(path).Data);
        FormatErrors.Rejected(path, () => RasterImage.Load(path), "palette index 5");
    }

    [Fact]
    public void Missing_png_is_a_file_not_found()
    {
        string path = files.File("absent.png");
        FormatErrors.Rejected(path, () => PngDecoder.Read(path), "not found");
    }

    [Fact]
    public void Gray16_writer_output_reads_back_in_PIL_and_our_decoder()
    {
        using var dir = new TempDir();
        string path = dir.File("labels.png");
        var pixels = Enumerable.Range(0, 5 * 7).Select(i => (ushort)(i * 1931 % 65536)).ToArray();
        pixels[0] = 65535;
        pixels[1] = 256;
        PixelFile.WriteGray16Png(path, 5, 7, pixels);

        var r = Python.Run("""
            import sys
            import numpy as np
            from PIL import Image
            image = Image.open(sys.argv[1])
            print(image.size[0], image.size[1], ' '.join(str(int(v)) for v in np.array(image).reshape(-1)))
            """, [path]);
        var words = r.StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["7", "5"], words[..2]);
        Assert.Equal(pixels.Select(p => (int)p), words[2..].Select(int.Parse));

        var png = PngDecoder.Read(path);
        Assert.Equal(16, png.BitDepth);
        Assert.Equal(pixels.Select(p => (float)p), png.Data);
    }

    [Fact]
    public void Gray16_writer_rejects_a_wrong_pixel_count()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => PixelFile.WriteGray16Png(dir.File("x.png"), 2, 3, new ushort[5]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Eight_bit_writer_output_reads_back_exactly(int channels)
    {
        using var dir = new TempDir();
        string path = dir.File("image.png");
        var pixels = Enumerable.Range(0, 6 * 5 * channels).Select(i => (byte)(i * 37)).ToArray();
        PixelFile.WritePng(path, 6, 5, channels, pixels);
        var image = RasterImage.Load(path);
        Assert.True(image.IsUInt8);
        Assert.Equal(channels, image.Channels);
        Assert.Equal(pixels.Select(p => (float)p), image.Data);
    }

    [Fact]
    public void Jpeg_decodes_to_PIL_values_also_under_a_png_name()
    {
        var image = RasterImage.Load(files.File("photo.jpg"));
        var pil = NpyFile.Read(files.File("photo_pil.npy")).ToFloat32();
        Assert.Equal((32, 48, 3), (image.Height, image.Width, image.Channels));
        Assert.Equal(pil, image.Data);

        using var dir = new TempDir();
        string misnamed = dir.File("photo.png");
        System.IO.File.Copy(files.File("photo.jpg"), misnamed);
        Assert.Equal(image.Data, RasterImage.Load(misnamed).Data);
    }
}

public sealed class MetaImageNrrdFormatTests(MetaImageNrrdFiles files) : IClassFixture<MetaImageNrrdFiles>
{
    public static TheoryData<string> MetaImageCases =>
    [
        "mha_int16_oblique", "mha_uint8_defaults", "mha_float_msb", "mha_double_element_msb", "mha_ushort_zlib",
        "mhd_int_headersize", "mhd_char_headersize_minus1", "mhd_uint_zraw", "mhd_float_crlf", "mha_2d_short",
    ];

    public static TheoryData<string> NrrdCases =>
    [
        "nrrd_raw_lps_short", "nrrd_gzip_ras_float", "nrrd_big_ushort_las", "nhdr_uint8_spacings", "nhdr_gz_int_lps",
        "nrrd_ascii_double", "nrrd_ascii_int_text", "nrrd_4d_scalar_axis", "nrrd_2d_spacings", "nrrd_2d_space_dim",
        "nhdr_skips", "nhdr_byte_skip_minus1", "nrrd_int64_big",
    ];

    [Theory]
    [MemberData(nameof(MetaImageCases))]
    public void MetaImage_matches_reference(string name) => AssertMatches(name, MetaImageFile.Read);

    [Theory]
    [MemberData(nameof(NrrdCases))]
    public void Nrrd_matches_reference(string name) => AssertMatches(name, NrrdFile.Read);

    void AssertMatches(string name, Func<string, Volume> read)
    {
        var c = files.Case(name);
        string path = c.GetProperty("file").GetString()!;
        var volume = read(path);
        Assert.Equal(c.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()), volume.Dims);
        Assert.Equal(c.GetProperty("dtype").GetString(), volume.SourceDataType);
        Assert.Equal(path, volume.Source);
        Assert.Equal(NpyFile.Read(files.File(name + ".npy")).ToFloat32(), volume.Data);
        var rows = c.GetProperty("affine").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        for (int r = 0; r < 4; r++)
            for (int k = 0; k < 4; k++)
                Assert.True(Math.Abs(rows[r][k] - volume.Affine[r, k]) < 1e-9,
                    $"{name}: affine[{r},{k}] = {volume.Affine[r, k]}, reference {rows[r][k]}");
    }

    static readonly string MetaHeader = "ObjectType = Image\nNDims = 3\nDimSize = 2 3 4\nElementType = MET_SHORT\n";
    static readonly string NrrdHeader = "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 4\nendian: little\n";

    /// <summary>Case name, header text, how many data bytes follow it (none when negative), a word of the expected error.</summary>
    public static TheoryData<string, string, int, string> BadMetaImages => new()
    {
        { "truncated", MetaHeader + "ElementDataFile = LOCAL\n", 47, "truncated" },
        { "extra-data", MetaHeader + "ElementDataFile = LOCAL\n", 50, "mismatch" },
        { "missing-data-file", MetaHeader + "ElementDataFile = nothere.raw\n", -1, "does not exist" },
        { "unknown-type", MetaHeader.Replace("MET_SHORT", "MET_QUATERNION") + "ElementDataFile = LOCAL\n", 48, "unknown ElementType" },
        { "bad-line", "ObjectType = Image\nNDims 3\nElementDataFile = LOCAL\n", 48, "bad header line 2" },
        { "nan-dims", MetaHeader.Replace("2 3 4", "nan 3 4") + "ElementDataFile = LOCAL\n", 48, "bad DimSize" },
        { "negative-dims", MetaHeader.Replace("2 3 4", "-2 3 4") + "ElementDataFile = LOCAL\n", 48, "bad DimSize" },
        { "fractional-dims", MetaHeader.Replace("2 3 4", "2.5 3 4") + "ElementDataFile = LOCAL\n", 48, "bad DimSize" },
        { "no-data-file-line", MetaHeader, -1, "no ElementDataFile" },
        { "empty", "", -1, "no ElementDataFile" },
        { "binary", "\u0089PNG\r\n\u001a\n\0\0\0\rIHDR", 64, "bad header line" },
        { "corrupt-zlib", MetaHeader + "CompressedData = True\nElementDataFile = LOCAL\n", 48, "not zlib data" },
        { "spacing-count", MetaHeader + "ElementSpacing = 1 1\nElementDataFile = LOCAL\n", 48, "bad ElementSpacing" },
        { "nan-matrix", MetaHeader + "TransformMatrix = 1 0 0 0 nan 0 0 0 1\nElementDataFile = LOCAL\n", 48, "not a finite number" },
        { "four-dims", MetaHeader.Replace("NDims = 3", "NDims = 4") + "ElementDataFile = LOCAL\n", 48, "NDims = 4" },
        { "channels", MetaHeader + "ElementNumberOfChannels = 3\nElementDataFile = LOCAL\n", 144, "scalar" },
        { "list", MetaHeader + "ElementDataFile = LIST\n", -1, "not supported" },
        { "not-image", MetaHeader.Replace("= Image", "= Tube") + "ElementDataFile = LOCAL\n", 48, "not an Image" },
        { "no-ndims", "DimSize = 2 3 4\nElementType = MET_SHORT\nElementDataFile = LOCAL\n", 48, "no NDims" },
    };

    [Theory]
    [MemberData(nameof(BadMetaImages))]
    public void Bad_MetaImage_is_rejected_with_its_path(string name, string header, int dataBytes, string problem)
    {
        using var dir = new TempDir();
        string path = WriteWithData(dir.File(name + ".mha"), header, dataBytes);
        FormatErrors.Rejected(path, () => MetaImageFile.Read(path), problem);
    }

    [Fact]
    public void Truncated_zlib_MetaImage_is_rejected()
    {
        using var dir = new TempDir();
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[48].Select((_, i) => (byte)i).ToArray());
        string path = dir.File("cut.mha");
        var header = Encoding.ASCII.GetBytes(MetaHeader + "CompressedData = True\nElementDataFile = LOCAL\n");
        System.IO.File.WriteAllBytes(path, [.. header, .. compressed.ToArray()[..^10]]);
        FormatErrors.Rejected(path, () => MetaImageFile.Read(path), "truncated", "corrupt compressed data");
    }

    public static TheoryData<string, string, int, string> BadNrrds => new()
    {
        { "bad-magic", "NRRD9999\ntype: short\n\n", 48, "bad magic" },
        { "empty", "", -1, "bad magic" },
        { "truncated", NrrdHeader + "encoding: raw\n\n", 47, "truncated" },
        { "extra-data", NrrdHeader + "encoding: raw\n\n", 49, "mismatch" },
        { "missing-data-file", NrrdHeader + "encoding: raw\ndata file: nothere.raw\n", -1, "does not exist" },
        { "unknown-type", NrrdHeader.Replace("short", "quaternion") + "encoding: raw\n\n", 48, "unknown type" },
        { "bad-line", NrrdHeader + "encoding raw\n\n", 48, "bad header line 6" },
        { "nan-sizes", NrrdHeader.Replace("2 3 4", "nan 3 4") + "encoding: raw\n\n", 48, "bad sizes" },
        { "sizes-count", NrrdHeader.Replace("2 3 4", "2 3") + "encoding: raw\n\n", 48, "bad sizes" },
        { "corrupt-gzip", NrrdHeader + "encoding: gzip\n\n", 48, "not gzip data" },
        { "vector-axis", NrrdHeader.Replace("dimension: 3", "dimension: 4").Replace("2 3 4", "3 2 3 4")
            + "space: RAS\nspace directions: none (1,0,0) (0,1,0) (0,0,1)\nencoding: raw\n\n", 144, "non-spatial" },
        { "unknown-space", NrrdHeader + "space: scanner-xyz\nencoding: raw\n\n", 48, "not supported" },
        { "no-endian", NrrdHeader.Replace("endian: little\n", "") + "encoding: raw\n\n", 48, "endian" },
        { "header-only", NrrdHeader + "encoding: raw\n", -1, "truncated" },
        { "ascii-count", NrrdHeader + "encoding: ascii\n\n1 2 3\n", -1, "mismatch" },
        { "bzip2", NrrdHeader + "encoding: bzip2\n\n", 48, "not supported" },
        { "no-sizes", NrrdHeader.Replace("sizes: 2 3 4\n", "") + "encoding: raw\n\n", 48, "'sizes'" },
        { "direction-count", NrrdHeader + "space: RAS\nspace directions: (1,0,0) (0,1,0)\nencoding: raw\n\n", 48, "bad space directions" },
        { "nan-direction", NrrdHeader + "space: RAS\nspace directions: (1,0,0) (0,nan,0) (0,0,1)\nencoding: raw\n\n", 48, "not a finite number" },
        { "data-list", NrrdHeader + "encoding: raw\ndata file: LIST\n", -1, "not supported" },
    };

    [Theory]
    [MemberData(nameof(BadNrrds))]
    public void Bad_nrrd_is_rejected_with_its_path(string name, string header, int dataBytes, string problem)
    {
        using var dir = new TempDir();
        string path = WriteWithData(dir.File(name + ".nrrd"), header, dataBytes);
        FormatErrors.Rejected(path, () => NrrdFile.Read(path), problem);
    }

    [Fact]
    public void Missing_volume_files_are_file_not_found()
    {
        string mha = files.File("absent.mha"), nrrd = files.File("absent.nrrd");
        FormatErrors.Rejected(mha, () => MetaImageFile.Read(mha), "not found");
        FormatErrors.Rejected(nrrd, () => NrrdFile.Read(nrrd), "not found");
    }

    /// <summary>The header followed by <paramref name="dataBytes"/> bytes 0, 1, 2, … (none when negative).</summary>
    static string WriteWithData(string path, string header, int dataBytes)
    {
        var bytes = Encoding.Latin1.GetBytes(header).Concat(Enumerable.Range(0, Math.Max(dataBytes, 0)).Select(i => (byte)i)).ToArray();
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}

public sealed class NpzFormatTests(NpzFiles files) : IClassFixture<NpzFiles>
{
    static readonly string[] Names = ["imgs", "gts", "rgb", "image", "label", "spacing", "counts", "hu", "mask", "scalar", "fortran", "large"];

    [Theory]
    [InlineData("plain.npz")]
    [InlineData("compressed.npz")]
    public void Reads_numpy_archives(string file)
    {
        var arrays = NpzFile.Read(files.File(file));
        Assert.Equal(Names.Order(), arrays.Keys.Order());
        foreach (var name in Names)
        {
            var expected = NpyFile.Read(files.File($"ref_{name}.npy"));
            var actual = arrays[name];
            Assert.True(expected.DType == actual.DType, $"{name}: {actual.DType.Name}, reference {expected.DType.Name}");
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"{name}: values differ");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Written_archives_load_in_numpy(bool compressed)
    {
        using var dir = new TempDir();
        string path = dir.File("out.npz");
        var arrays = new Dictionary<string, NpyArray>
        {
            ["imgs"] = NpyArray.From(Enumerable.Range(0, 24).Select(i => (byte)(i * 7 % 256)).ToArray(), 2, 3, 4),
            ["image"] = NpyArray.From(Enumerable.Range(0, 12).Select(i => i * 0.25f - 3).ToArray(), 3, 4),
            ["label"] = NpyArray.From(Enumerable.Range(0, 6).Select(i => (long)(i % 3)).ToArray(), 6),
            ["flags"] = NpyArray.From(new[] { true, false, true }, 3),
        };
        NpzFile.Write(path, arrays, compressed);
        var r = Python.Run(FormatScripts.NpzCheck, [path, compressed ? "1" : "0"]);
        Assert.Equal("ok", r.StdOut.Trim());

        var back = NpzFile.Read(path);
        foreach (var (name, array) in arrays)
            Assert.True(back[name].Data.AsSpan().SequenceEqual(array.Data) && back[name].Shape.SequenceEqual(array.Shape), name);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Not_a_zip_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("text.npz");
        System.IO.File.WriteAllText(path, "not a zip archive at all");
        FormatErrors.Rejected(path, () => NpzFile.Read(path), "not a .npz");
    }

    [Fact]
    public void Truncated_archive_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("cut.npz");
        var bytes = System.IO.File.ReadAllBytes(files.File("compressed.npz"));
        System.IO.File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        FormatErrors.Rejected(path, () => NpzFile.Read(path), "not a .npz");
    }

    [Fact]
    public void Bad_member_names_the_archive_and_member()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var w = new StreamWriter(zip.CreateEntry("imgs.npy").Open());
            w.Write("hello");
        }
        FormatErrors.Rejected(path, () => NpzFile.Read(path), "member 'imgs.npy'");
    }

    [Fact]
    public void Missing_archive_is_file_not_found()
    {
        string path = files.File("absent.npz");
        FormatErrors.Rejected(path, () => NpzFile.Read(path), "not found");
    }
}

public sealed class Hdf5FormatTests(Hdf5Files files) : IClassFixture<Hdf5Files>
{
    string Case => files.File("case0001.npy.h5");

    [Fact]
    public void Lists_every_dataset_with_its_group()
    {
        Assert.Equal(
            new[] { "image", "label", "extra/hu", "extra/big_endian", "extra/f64", "extra/u16", "extra/i64", "extra/i8", "extra/u32", "extra/words" }.Order(),
            Hdf5File.ListDatasets(Case).Order());
    }

    [Theory]
    [InlineData("image")]
    [InlineData("/label")]
    [InlineData("extra/hu")]
    [InlineData("extra/f64")]
    [InlineData("extra/u16")]
    [InlineData("extra/i64")]
    [InlineData("extra/i8")]
    [InlineData("extra/big_endian")]
    public void Reads_datasets_as_h5py_wrote_them(string name)
    {
        var expected = NpyFile.Read(files.File("ref_" + name.TrimStart('/').Replace('/', '_') + ".npy"));
        var actual = Hdf5File.ReadDataset(Case, name);
        Assert.True(expected.DType == actual.DType, $"{actual.DType.Name}, reference {expected.DType.Name}");
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), "values differ");
    }

    [Fact]
    public void Synapse_volume_converts_to_float()
    {
        var image = Hdf5File.ReadDataset(Case, "image");
        Assert.Equal([4L, 6, 5], image.Shape);
        Assert.Equal(NpyFile.Read(files.File("ref_image.npy")).ToFloat32(), image.ToFloat32());
    }

    [Fact]
    public void Missing_dataset_lists_the_available_ones()
    {
        FormatErrors.Rejected(Case, () => Hdf5File.ReadDataset(Case, "nope"), "no dataset 'nope'");
        var e = Assert.Throws<InvalidDataException>(() => Hdf5File.ReadDataset(Case, "nope"));
        Assert.Contains("image", e.Message);
        FormatErrors.Rejected(Case, () => Hdf5File.ReadDataset(Case, "extra/nope"), "no dataset 'extra/nope'");
    }

    [Theory]
    [InlineData("extra/u32", "unsupported type uint32")]
    [InlineData("extra/words", "unsupported type")]
    [InlineData("extra", "extra")]
    public void Unsupported_datasets_are_rejected(string name, string problem) =>
        FormatErrors.Rejected(Case, () => Hdf5File.ReadDataset(Case, name), problem);

    [Fact]
    public void Not_hdf5_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("text.h5");
        System.IO.File.WriteAllText(path, "this is not an HDF5 file, just some text of moderate length");
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "image"), "not a readable HDF5 file");
        FormatErrors.Rejected(path, () => Hdf5File.ListDatasets(path), "not a readable HDF5 file");
    }

    [Fact]
    public void Hdf5_cut_inside_a_dataset_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("cut.h5");
        var label = files.Case("label");
        int cut = label.GetProperty("offset").GetInt32() + label.GetProperty("size").GetInt32() / 2;
        System.IO.File.WriteAllBytes(path, System.IO.File.ReadAllBytes(Case)[..cut]);
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "label"), "truncated HDF5 file");
    }

    [Fact]
    public void Hdf5_cut_in_its_metadata_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("cut.h5");
        System.IO.File.WriteAllBytes(path, System.IO.File.ReadAllBytes(Case)[..700]);
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "label"), "HDF5", "dataset");
        FormatErrors.Rejected(path, () => Hdf5File.ListDatasets(path), "HDF5");
    }

    [Fact]
    public void Missing_file_is_file_not_found()
    {
        string path = files.File("absent.h5");
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "image"), "not found");
    }
}

/// <summary>The Python scripts that write the reference files.</summary>
static class FormatScripts
{
    /// <summary>PNGs from PIL, and by hand (every filter, bit depth and Adam7) decoded by PIL; damaged PNGs; a JPEG.</summary>
    public const string Png = """
        import sys, os, json, struct, zlib
        import numpy as np
        from PIL import Image

        out = sys.argv[1]
        rng = np.random.default_rng(7)
        manifest = {}

        def chunk(kind, data):
            body = kind + data
            return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)

        def paeth(a, b, c):
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

        def pack_row(samples, depth):
            if depth == 16:
                return b''.join(struct.pack('>H', int(v)) for v in samples)
            if depth == 8:
                return bytes(int(v) for v in samples)
            bits = ''.join(format(int(v), '0%db' % depth) for v in samples)
            bits += '0' * (-len(bits) % 8)
            return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))

        def filter_rows(rows, bpp, first_filter):
            # Encodes rows with filters cycling None, Sub, Up, Average, Paeth (PNG spec section 9).
            out, prev = b'', None
            for y, row in enumerate(rows):
                prev = prev or bytes(len(row))
                f = (first_filter + y) % 5
                enc = bytearray()
                for i in range(len(row)):
                    a = row[i - bpp] if i >= bpp else 0
                    b = prev[i]
                    c = prev[i - bpp] if i >= bpp else 0
                    pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]
                    enc.append((row[i] - pred) & 0xff)
                out += bytes([f]) + bytes(enc)
                prev = row
            return out

        ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

        def write_png(path, arr, depth, colour, palette=None, interlace=False, idat_parts=1, extra=b''):
            # arr: H x W x C of sample values (palette: indices).
            h, w, ch = arr.shape
            bpp = max(1, ch * depth // 8)
            def encode(img):
                return filter_rows([pack_row(r.reshape(-1), depth) for r in img], bpp, 0)
            if interlace:
                raw = b''
                for x0, y0, dx, dy in ADAM7:
                    sub = arr[y0::dy, x0::dx]
                    if sub.shape[0] and sub.shape[1]:
                        raw += encode(sub)
            else:
                raw = encode(arr)
            z = zlib.compress(raw, 9)
            parts = [z[i * len(z) // idat_parts:(i + 1) * len(z) // idat_parts] for i in range(idat_parts)]
            data = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, colour, 0, 0, 1 if interlace else 0))
            data += extra
            if palette is not None:
                data += chunk(b'PLTE', bytes(palette))
            for p in parts:
                data += chunk(b'IDAT', p)
            data += chunk(b'IEND', b'')
            with open(path, 'wb') as f:
                f.write(data)

        def add(name, file, samples, raster, raster_uint8, depth):
            samples = np.asarray(samples)
            if samples.ndim == 2: samples = samples[:, :, None]
            raster = np.asarray(raster)
            if raster.ndim == 2: raster = raster[:, :, None]
            np.save(os.path.join(out, name + '_samples.npy'), samples.astype(np.float32))
            np.save(os.path.join(out, name + '_raster.npy'), raster.astype(np.float32))
            manifest[name] = dict(file=file, channels=int(samples.shape[2]), depth=depth, rasterUInt8=raster_uint8)

        def pil_case(name, img, raster_mode, **save):
            file = os.path.join(out, name + '.png')
            img.save(file, **save)
            back = Image.open(file)
            depth = open(file, 'rb').read()[24]
            samples = np.array(back.convert('L')) if back.mode == '1' else np.array(back)
            add(name, file, samples, np.array(back.convert(raster_mode)) if raster_mode else samples, True if raster_mode else depth <= 8, depth)

        H, W = 9, 13
        pil_case('pil_gray8', Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8)), None)
        gray16 = rng.integers(0, 65536, (H, W)).astype(np.uint16)
        gray16[0, :3] = [0, 255, 65535]
        pil_case('pil_gray16', Image.fromarray(gray16), None)
        pil_case('pil_rgb', Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)), None)
        pil_case('pil_rgba', Image.fromarray(rng.integers(0, 256, (H, W, 4), dtype=np.uint8)), 'RGB')
        pil_case('pil_la', Image.fromarray(rng.integers(0, 256, (H, W, 2), dtype=np.uint8), 'LA'), 'L')
        pal = Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8), 'P')
        pal.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
        pil_case('pil_palette8', pal, 'RGB')
        pal4 = Image.fromarray(rng.integers(0, 16, (H, W), dtype=np.uint8), 'P')
        pal4.putpalette(rng.integers(0, 256, 48, dtype=np.uint8).tobytes())
        pil_case('pil_palette4', pal4, 'RGB', bits=4)
        pil_case('pil_1bit', Image.fromarray(rng.integers(0, 2, (H, W), dtype=np.uint8) * 255).convert('1'), None)

        def hand_case(name, arr, depth, colour, reference, raster=None, palette=None, **kw):
            file = os.path.join(out, name + '.png')
            write_png(file, arr, depth, colour, palette=palette, **kw)
            back = Image.open(file)
            if reference == 'pil':
                expected = np.array(back.convert('L') if back.mode == '1' else back)
                if expected.ndim == 2: expected = expected[:, :, None]
            else:
                expected = arr
            if colour == 0 and depth < 8:
                # The PNG spec's scaling of low-depth gray to 8 bits, checked against PIL.
                assert (expected == arr * (255 // (2 ** depth - 1))).all(), name
            elif reference == 'pil' and colour != 3:
                assert (expected == arr).all(), name
            if raster is None:
                raster = np.array(back.convert('RGB')) if colour == 3 else expected[:, :, :3 if arr.shape[2] >= 3 else 1]
            add(name, file, expected, raster, depth <= 8, depth)

        hand_case('hw_gray2', rng.integers(0, 4, (7, 11, 1)), 2, 0, 'pil')
        hand_case('hw_gray4', rng.integers(0, 16, (7, 11, 1)), 4, 0, 'pil')
        hand_case('hw_palette1', rng.integers(0, 2, (5, 13, 1)), 1, 3, 'pil', palette=[10, 20, 30, 200, 100, 50])
        hand_case('hw_palette2', rng.integers(0, 4, (5, 13, 1)), 2, 3, 'pil', palette=list(range(12)))
        hand_case('hw_rgb8_filters', rng.integers(0, 256, (10, 7, 3)), 8, 2, 'pil')
        hand_case('hw_gray8_multi_idat', rng.integers(0, 256, (10, 7, 1)), 8, 0, 'pil', idat_parts=3,
                  extra=chunk(b'tEXt', b'Comment\x00ancillary chunks are skipped'))
        hand_case('hw_rgb16_filters', rng.integers(0, 65536, (6, 5, 3)), 16, 2, 'numpy')
        hand_case('hw_rgba16', rng.integers(0, 65536, (6, 5, 4)), 16, 6, 'numpy')
        hand_case('hw_la16', rng.integers(0, 65536, (6, 5, 2)), 16, 4, 'numpy')
        hand_case('hw_adam7_rgb8', rng.integers(0, 256, (11, 13, 3)), 8, 2, 'pil', interlace=True)
        hand_case('hw_adam7_gray16', rng.integers(0, 65536, (11, 13, 1)), 16, 0, 'numpy', interlace=True)
        hand_case('hw_adam7_gray1', rng.integers(0, 2, (3, 5, 1)), 1, 0, 'pil', interlace=True)
        hand_case('hw_adam7_1x1', rng.integers(0, 256, (1, 1, 3)), 8, 2, 'pil', interlace=True)
        hand_case('hw_adam7_palette4', rng.integers(0, 16, (9, 10, 1)), 4, 3, 'pil', interlace=True,
                  palette=list(rng.integers(0, 256, 48)))

        # Damaged files: each a small valid image with one fault.
        good = os.path.join(out, 'hw_rgb8_filters.png')
        data = open(good, 'rb').read()
        def put(name, content):
            with open(os.path.join(out, name + '.png'), 'wb') as f: f.write(content)
        def png_with(ihdr, idat_raw=None, idat=None, palette=None):
            body = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
            if palette is not None: body += chunk(b'PLTE', bytes(palette))
            body += chunk(b'IDAT', idat if idat is not None else zlib.compress(idat_raw))
            return body + chunk(b'IEND', b'')
        rgb_ihdr = struct.pack('>IIBBBBB', 4, 2, 8, 2, 0, 0, 0)
        rows = (b'\x00' + bytes(12)) * 2
        put('bad_signature', b'\x89PNX' + data[4:])
        put('bad_truncated', data[:len(data) // 2])
        put('bad_no_iend', data[:-12])
        i = data.index(b'IDAT') + 10
        put('bad_crc', data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1:])
        put('bad_zlib', png_with(rgb_ihdr, idat=b'\x78\x9c' + bytes(range(200, 240))))
        put('bad_trailing_data', data + b'extra')
        put('bad_zlib_no_checksum', png_with(rgb_ihdr, idat=zlib.compress(rows)[:-4]))
        put('bad_zlib_bytes_after_stream', png_with(rgb_ihdr, idat=zlib.compress(rows) + b'\x00\x00'))
        put('bad_zlib_checksum', png_with(rgb_ihdr, idat=zlib.compress(rows)[:-1] + bytes([zlib.compress(rows)[-1] ^ 1])))
        put('bad_long_data', png_with(rgb_ihdr, rows + rows[:13]))
        put('bad_short_data', png_with(rgb_ihdr, rows[:13]))
        put('bad_filter', png_with(rgb_ihdr, b'\x07' + bytes(12) + b'\x00' + bytes(12)))
        put('bad_depth', png_with(struct.pack('>IIBBBBB', 4, 2, 4, 2, 0, 0, 0), rows))
        put('bad_no_plte', png_with(struct.pack('>IIBBBBB', 4, 2, 8, 3, 0, 0, 0), b'\x00' + bytes(4) + b'\x00' + bytes(4)))
        put('bad_first_chunk', b'\x89PNG\r\n\x1a\n' + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
        put('bad_zero_width', png_with(struct.pack('>IIBBBBB', 0, 2, 8, 0, 0, 0, 0), b'\x00\x00'))
        put('bad_palette_index', png_with(struct.pack('>IIBBBBB', 2, 1, 8, 3, 0, 0, 0), b'\x00\x00\x05', palette=[1, 2, 3, 4, 5, 6]))

        # A JPEG, read through JpegDecoder.
        yy, xx = np.mgrid[0:32, 0:48]
        smooth = np.stack([xx * 5, yy * 7, (xx + yy) * 3], axis=-1).astype(np.uint8)
        Image.fromarray(smooth).save(os.path.join(out, 'photo.jpg'), quality=95)
        np.save(os.path.join(out, 'photo_pil.npy'), np.array(Image.open(os.path.join(out, 'photo.jpg'))).astype(np.float32))

        with open(os.path.join(out, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
        """;

    /// <summary>MetaImage and NRRD files written by hand (text header + numpy bytes), with the affine ITK/nibabel would report.</summary>
    public const string Volumes = """
        import sys, os, json, gzip, zlib
        import numpy as np

        out = sys.argv[1]
        rng = np.random.default_rng(3)
        manifest = {}

        def rotation(ax, ay, az):
            cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
            rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
            ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
            rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
            return rz @ ry @ rx

        def volume(shape_zyx, dtype):
            info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
            if info is None:
                return (rng.standard_normal(shape_zyx) * 100).astype(dtype)
            lo, hi = max(info.min, -30000), min(info.max, 60000)
            return rng.integers(lo, hi, shape_zyx, endpoint=True).astype(dtype)

        def record(name, file, arr, affine, dtype_name):
            np.save(os.path.join(out, name + '.npy'), arr.astype(np.float32))
            dims = list(reversed(arr.shape)) + [1] * (3 - arr.ndim)
            manifest[name] = dict(file=file, dims=dims, affine=np.asarray(affine).tolist(), dtype=dtype_name)

        def lps_to_ras(a):
            return np.diag([-1.0, -1.0, 1.0, 1.0]) @ a

        def grid_affine(direction, spacing, origin):
            # World affine from ITK-style direction (columns = axis directions), spacing and origin.
            n = len(spacing)
            a = np.eye(4)
            a[:n, :n] = direction @ np.diag(spacing)
            a[:n, 3] = origin
            return a

        def fmt(values):
            return ' '.join(repr(float(v)) for v in values)

        # ---------- MetaImage ----------
        MET = {np.uint8: 'MET_UCHAR', np.int8: 'MET_CHAR', np.int16: 'MET_SHORT', np.uint16: 'MET_USHORT',
               np.int32: 'MET_INT', np.uint32: 'MET_UINT', np.float32: 'MET_FLOAT', np.float64: 'MET_DOUBLE'}

        def meta(name, shape, dtype, direction=None, spacing=None, origin=None, msb=False, compressed=False, ext='.mha',
                 data_file=None, header_size=None, prefix=b'', keys=('Offset', 'TransformMatrix', 'BinaryDataByteOrderMSB'),
                 newline='\n'):
            arr = volume(shape, dtype)
            n = arr.ndim
            raw = arr.astype(arr.dtype.newbyteorder('>' if msb else '<')).tobytes()
            if compressed:
                raw = zlib.compress(raw)
            lines = ['ObjectType = Image', f'NDims = {n}', 'BinaryData = True',
                     f'{keys[2]} = {msb}', f'CompressedData = {compressed}']
            if compressed:
                lines.append(f'CompressedDataSize = {len(raw)}')
            if direction is not None:
                # ITK writes each image axis's direction (a column of the direction matrix) in turn.
                lines.append(f'{keys[1]} = ' + fmt(direction.T.reshape(-1)))
            if origin is not None:
                lines.append(f'{keys[0]} = ' + fmt(origin))
            # ITK also writes the image's metadata dictionary, DICOM tags included.
            lines += ['CenterOfRotation = ' + fmt([0] * n), 'AnatomicalOrientation = ' + 'RAI'[:n],
                      'Modality = MET_MOD_CT', '0008|0060 = CT', 'ITK_InputFilterName = MetaImageIO']
            if spacing is not None:
                lines.append('ElementSpacing = ' + fmt(spacing))
            lines += ['DimSize = ' + ' '.join(str(d) for d in reversed(arr.shape)), f'ElementType = {MET[dtype]}']
            if header_size is not None:
                lines.insert(2, f'HeaderSize = {header_size}')
            file = os.path.join(out, name + ext)
            if data_file is None:
                lines.append('ElementDataFile = LOCAL')
                with open(file, 'wb') as f:
                    f.write((newline.join(lines) + newline).encode() + raw)
            else:
                lines.append(f'ElementDataFile = {data_file}')
                with open(file, 'w', newline='') as f:
                    f.write(newline.join(lines) + newline)
                with open(os.path.join(out, data_file), 'wb') as f:
                    f.write(prefix + raw)
            d = np.eye(n) if direction is None else direction
            affine = lps_to_ras(grid_affine(d, spacing if spacing is not None else [1.0] * n,
                                            origin if origin is not None else [0.0] * n))
            record(name, file, arr, affine, np.dtype(dtype).name)

        oblique = rotation(0.3, -0.5, 1.1)
        meta('mha_int16_oblique', (4, 5, 6), np.int16, oblique, [0.7, 0.8, 2.5], [-10, 20.5, 30])
        meta('mha_uint8_defaults', (3, 4, 5), np.uint8)
        meta('mha_float_msb', (2, 3, 4), np.float32, np.diag([1.0, -1.0, -1.0]), [1.5, 1.5, 3], [1, 2, 3], msb=True)
        meta('mha_double_element_msb', (2, 3, 4), np.float64, oblique, [1, 2, 3], [0, 0, 0], msb=True,
             keys=('Position', 'Orientation', 'ElementByteOrderMSB'))
        meta('mha_ushort_zlib', (5, 6, 7), np.uint16, oblique, [0.5, 0.6, 0.7], [3, -4, 5], compressed=True)
        meta('mhd_int_headersize', (3, 4, 5), np.int32, oblique, [1, 1, 2], [5, 6, 7], ext='.mhd',
             data_file='mhd_int_headersize.raw', header_size=16, prefix=bytes(range(16)), keys=('Origin', 'Rotation', 'BinaryDataByteOrderMSB'))
        meta('mhd_char_headersize_minus1', (2, 3, 4), np.int8, None, [2, 2, 2], [1, 1, 1], ext='.mhd',
             data_file='mhd_char_headersize_minus1.img', header_size=-1, prefix=b'x' * 100)
        meta('mhd_uint_zraw', (3, 4, 5), np.uint32, oblique, [1, 1, 1], [0, 0, 0], ext='.mhd',
             data_file='mhd_uint_zraw.zraw', compressed=True)
        meta('mhd_float_crlf', (2, 3, 4), np.float32, oblique, [0.9, 0.9, 1.8], [-1, -2, -3], ext='.mhd',
             data_file='mhd_float_crlf.raw', newline='\r\n')
        a = 0.4
        meta('mha_2d_short', (6, 7), np.int16, np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]), [0.5, 0.25], [7, 8])

        # ---------- NRRD ----------
        NRRD_TYPES = {np.uint8: 'uint8', np.int8: 'signed char', np.int16: 'short', np.uint16: 'unsigned short',
                      np.int32: 'int', np.uint32: 'uint32_t', np.int64: 'long long', np.float32: 'float', np.float64: 'double'}
        SIGNS = {'right-anterior-superior': [1, 1, 1], 'RAS': [1, 1, 1], 'left-anterior-superior': [-1, 1, 1],
                 'LAS': [-1, 1, 1], 'left-posterior-superior': [-1, -1, 1], 'LPS': [-1, -1, 1]}

        def vec(v):
            return '(' + ','.join(repr(float(x)) for x in v) + ')'

        def nrrd(name, shape, dtype, space=None, directions=None, origin=None, spacings=None, encoding='raw',
                 endian='little', ext='.nrrd', data_file=None, type_name=None, extra_axis=False, line_skip=0,
                 byte_skip=0, prefix=b'', field_spelling='data file', comments=True, space_dimension=None):
            arr = volume(shape, dtype)
            n = arr.ndim
            sizes = list(reversed(arr.shape))
            if encoding in ('ascii', 'text'):
                raw = ' '.join(repr(float(v)) if arr.dtype.kind == 'f' else str(int(v)) for v in arr.reshape(-1)).encode() + b'\n'
            else:
                raw = arr.astype(arr.dtype.newbyteorder('>' if endian == 'big' else '<')).tobytes()
                if encoding in ('gzip', 'gz'):
                    raw = gzip.compress(raw)
            lines = ['NRRD0004']
            if comments:
                lines.append('# Complete NRRD file format specification at: http://teem.sourceforge.net/nrrd/format.html')
            lines += [f'type: {type_name or NRRD_TYPES[dtype]}', f'dimension: {n + (1 if extra_axis else 0)}']
            if space:
                lines.append(f'space: {space}')
            if space_dimension:
                lines.append(f'space dimension: {space_dimension}')
            lines.append('sizes: ' + ' '.join(str(s) for s in ([1] if extra_axis else []) + sizes))
            if directions is not None:
                lines.append('space directions: ' + ('none ' if extra_axis else '') + ' '.join(vec(directions[:, i]) for i in range(n)))
                lines.append('kinds: ' + ('scalar ' if extra_axis else '') + ' '.join(['domain'] * n))
            if spacings is not None:
                lines.append('spacings: ' + ' '.join(repr(float(s)) for s in spacings))
            if np.dtype(dtype).itemsize > 1 and encoding not in ('ascii', 'text'):
                lines.append(f'endian: {endian}')
            lines.append(f'encoding: {encoding}')
            if origin is not None:
                lines.append('space origin: ' + vec(origin))
            if line_skip:
                lines.append(f'line skip: {line_skip}')
            if byte_skip:
                lines.append(f'byte skip: {byte_skip}')
            lines.append('Segmentation_Note:=key value pairs are ignored')
            file = os.path.join(out, name + ext)
            if data_file is None:
                with open(file, 'wb') as f:
                    f.write(('\n'.join(lines) + '\n\n').encode() + raw)
            else:
                lines.append(f'{field_spelling}: {data_file}')
                with open(file, 'w') as f:
                    f.write('\n'.join(lines) + '\n')
                with open(os.path.join(out, data_file), 'wb') as f:
                    f.write(prefix + raw)
            if directions is not None:
                signs = SIGNS.get(space, [-1, -1, 1])
                a = np.eye(4)
                a[:3, :n] = directions if directions.shape[0] == 3 else np.vstack([directions, np.zeros((1, n))])
                a[:3, 3] = np.resize(np.append(origin, [0, 0, 0]), 3)
                affine = np.diag(signs + [1]) @ a
            else:
                # No space: ITK's LPS physical space with axis-aligned spacing.
                s = list(spacings) if spacings is not None else [1.0] * n
                affine = lps_to_ras(np.diag(s + [1.0] * (4 - n)))
            record(name, file, arr, affine, np.dtype(dtype).name)

        steps = oblique @ np.diag([0.7, 0.9, 2.0])
        nrrd('nrrd_raw_lps_short', (4, 5, 6), np.int16, 'left-posterior-superior', steps, [-5, 10, 15.5])
        nrrd('nrrd_gzip_ras_float', (3, 4, 5), np.float32, 'right-anterior-superior', steps, [1, 2, 3], encoding='gzip')
        nrrd('nrrd_big_ushort_las', (3, 4, 5), np.uint16, 'left-anterior-superior', steps, [0, 0, 0], endian='big')
        nrrd('nhdr_uint8_spacings', (3, 4, 5), np.uint8, spacings=[0.5, 0.75, 2.5], ext='.nhdr', data_file='nhdr_uint8_spacings.raw')
        nrrd('nhdr_gz_int_lps', (3, 4, 5), np.int32, 'LPS', steps, [9, 8, 7], encoding='gz', ext='.nhdr',
             data_file='nhdr_gz_int_lps.raw.gz', field_spelling='datafile')
        nrrd('nrrd_ascii_double', (2, 3, 4), np.float64, 'RAS', steps, [1, 1, 1], encoding='ascii')
        nrrd('nrrd_ascii_int_text', (2, 3, 4), np.int16, 'RAS', steps, [0, 0, 0], encoding='text')
        nrrd('nrrd_4d_scalar_axis', (3, 4, 5), np.float32, 'LPS', steps, [2, 3, 4], extra_axis=True)
        nrrd('nrrd_2d_spacings', (6, 7), np.int16, spacings=[0.5, 0.25])
        nrrd('nrrd_2d_space_dim', (6, 7), np.uint8, None, np.array([[0.5, 0.1], [-0.1, 0.5]]), [3, 4], comments=False,
             space_dimension=2)
        nrrd('nhdr_skips', (3, 4, 5), np.int8, 'RAS', steps, [0, 0, 0], ext='.nhdr', data_file='nhdr_skips.dat',
             line_skip=2, byte_skip=5, prefix=b'first line\nsecond line\n12345')
        nrrd('nhdr_byte_skip_minus1', (3, 4, 5), np.uint32, 'RAS', steps, [0, 0, 0], ext='.nhdr',
             data_file='nhdr_byte_skip_minus1.dat', byte_skip=-1, prefix=b'\x00' * 33)
        nrrd('nrrd_int64_big', (2, 3, 4), np.int64, 'LPS', steps, [1, 2, 3], endian='big')

        with open(os.path.join(out, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
        """;

    /// <summary>.npz archives from np.savez and np.savez_compressed, and each array alone as .npy.</summary>
    public const string Npz = """
        import sys, os
        import numpy as np

        out = sys.argv[1]
        rng = np.random.default_rng(5)
        # Keys as MedSAM ("imgs", "gts") and TransUNet ("image", "label") store them, plus every dtype we read.
        arrays = {
            'imgs': rng.integers(0, 256, (3, 8, 9), dtype=np.uint8),
            'gts': rng.integers(0, 5, (3, 8, 9)).astype(np.uint8),
            'rgb': rng.integers(0, 256, (5, 4, 3), dtype=np.uint8),
            'image': rng.standard_normal((6, 7)).astype(np.float32),
            'label': rng.integers(0, 9, (6, 7)).astype(np.uint8),
            'spacing': np.array([0.5, 0.5, 2.0]),
            'counts': rng.integers(-2 ** 40, 2 ** 40, (4,), dtype=np.int64),
            'hu': rng.integers(-1024, 3000, (2, 3)).astype(np.int16),
            'mask': rng.integers(0, 2, (3, 3)).astype(bool),
            'scalar': np.array(3.5, dtype=np.float32),
            'fortran': np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)),
            'large': rng.standard_normal((64, 64, 8)).astype(np.float32),
        }
        np.savez(os.path.join(out, 'plain.npz'), **arrays)
        np.savez_compressed(os.path.join(out, 'compressed.npz'), **arrays)
        for name, value in arrays.items():
            np.save(os.path.join(out, 'ref_' + name + '.npy'), value.copy(order='C'))
        """;

    /// <summary>Checks an archive we wrote: numpy loads the expected arrays, members stored or deflated as asked.</summary>
    public const string NpzCheck = """
        import sys, zipfile
        import numpy as np

        path, compressed = sys.argv[1], sys.argv[2] == '1'
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                want = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
                assert info.compress_type == want, (info.filename, info.compress_type)
        expected = {
            'imgs': (np.arange(2 * 3 * 4) * 7 % 256).astype(np.uint8).reshape(2, 3, 4),
            'image': (np.arange(12, dtype=np.float32) * 0.25 - 3).reshape(3, 4),
            'label': (np.arange(6) % 3).astype(np.int64),
            'flags': np.array([True, False, True]),
        }
        with np.load(path) as f:
            assert sorted(f.files) == sorted(expected), f.files
            for name, want in expected.items():
                got = f[name]
                assert got.dtype == want.dtype and got.shape == want.shape and (got == want).all(), (name, got)
        print('ok')
        """;

    /// <summary>A TransUNet-like case0001.npy.h5 from h5py, with references as .npy.</summary>
    public const string Hdf5 = """
        import sys, os, json
        import numpy as np
        import h5py

        out = sys.argv[1]
        rng = np.random.default_rng(11)
        # Laid out as TransUNet's Synapse test volumes (case0001.npy.h5): D x H x W "image" and "label".
        data = {
            'image': rng.random((4, 6, 5), dtype=np.float32),
            'label': rng.integers(0, 9, (4, 6, 5)).astype(np.uint8),
            'extra/hu': rng.integers(-1024, 3000, (7, 9)).astype(np.int16),
            'extra/big_endian': rng.standard_normal((3, 4)).astype('>f4'),
            'extra/f64': rng.standard_normal((2, 3)),
            'extra/u16': rng.integers(0, 65536, (5,)).astype(np.uint16),
            'extra/i64': rng.integers(-2 ** 40, 2 ** 40, (5,)),
            'extra/i8': rng.integers(-128, 128, (5,)).astype(np.int8),
        }
        with h5py.File(os.path.join(out, 'case0001.npy.h5'), 'w') as f:
            for name, value in data.items():
                if name == 'extra/hu':
                    f.create_dataset(name, data=value, compression='gzip', chunks=(3, 4))
                else:
                    f.create_dataset(name, data=value)
            f.create_dataset('extra/u32', data=np.arange(5, dtype=np.uint32))
            f.create_dataset('extra/words', data=np.array([b'a', b'bc']))
            # Where label's bytes lie, so a test can cut the file inside them.
            label = f['label'].id
            manifest = {'label': {'offset': label.get_offset(), 'size': label.get_storage_size()}}
        with open(os.path.join(out, 'manifest.json'), 'w') as m:
            json.dump(manifest, m)
        for name, value in data.items():
            np.save(os.path.join(out, 'ref_' + name.replace('/', '_') + '.npy'), value.astype(value.dtype.newbyteorder('<')))
        """;
}
