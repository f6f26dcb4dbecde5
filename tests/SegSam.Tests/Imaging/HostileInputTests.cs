using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>Files the hostile-input tests need from real tools: nibabel's NIfTI-2, pydicom's CT_small, torch.save archives.</summary>
public sealed class HostileFiles() : PythonReferenceFiles(Script)
{
    const string Script = """
        import io, os, sys, zipfile
        import numpy as np, nibabel as nib, pydicom, torch, h5py
        from pydicom.data import get_testdata_file
        out = sys.argv[1]
        img = (np.arange(4 * 5 * 6).reshape(4, 5, 6) - 1000).astype(np.float32)
        nib.save(nib.Nifti2Image(img, np.diag([1.0, 2.0, 3.0, 1.0])), os.path.join(out, 'two.nii'))
        with h5py.File(os.path.join(out, 'linked_image.h5'), 'w') as f:
            f['data/volume'] = img
            f['image'] = h5py.SoftLink('/data/volume')
        ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))
        ds.RescaleSlope = '1e308'
        ds.save_as(os.path.join(out, 'ct_huge_slope.dcm'))
        torch.save({'w': torch.arange(6, dtype=torch.float32).reshape(2, 3)}, os.path.join(out, 'ok.pth'))
        src = zipfile.ZipFile(os.path.join(out, 'ok.pth'))
        names = src.namelist()
        pkl = next(n for n in names if n.endswith('/data.pkl'))
        data0 = next(n for n in names if n.endswith('/data/0'))
        def rewrite(name, change):
            with zipfile.ZipFile(os.path.join(out, name), 'w') as z:
                for n in names:
                    r = change(n, src.read(n))
                    if r is not None: z.writestr(r[0], r[1])
        rewrite('missing.pth', lambda n, b: None if n == data0 else (n, b))
        rewrite('short.pth', lambda n, b: (n, b[:8]) if n == data0 else (n, b))
        evil = b'../../../../etc/passwd'
        rewrite('traversal.pth', lambda n, b: (n, b.replace(b'X\x01\x00\x00\x000', b'X' + len(evil).to_bytes(4, 'little') + evil)) if n == pkl else (n, b))
        """;
}

/// <summary>
/// One test per class of hostile input found by feeding about 1,000 malformed files to every
/// reader: each must end in the readers' documented error naming the file, within seconds,
/// never in a crash, a hang or a silently wrong image.
/// </summary>
public sealed class HostileInputTests(HostileFiles files) : IClassFixture<HostileFiles>
{
    static readonly float[] Ramp = [.. Enumerable.Range(0, 4 * 5 * 6).Select(i => (float)(i - 1000))];

    static byte[] NiftiBytes(TempDir dir)
    {
        string path = dir.File("ok.nii");
        NiftiFile.Write(path, new Volume([6, 5, 4], Ramp, Volume.Identity()), "float32");
        return File.ReadAllBytes(path);
    }

    static string Patched(TempDir dir, string name, byte[] bytes, Action<byte[]> patch)
    {
        var copy = (byte[])bytes.Clone();
        patch(copy);
        string path = dir.File(name);
        File.WriteAllBytes(path, copy);
        return path;
    }

    static InvalidDataException Refused(string path, params string[] anyOf)
    {
        var e = Bounded.Throws<InvalidDataException>(() => MedicalImage.Load(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.True(anyOf.Any(w => e.Message.Contains(w, StringComparison.OrdinalIgnoreCase)), $"'{e.Message}' names none of: {string.Join(" | ", anyOf)}");
        return e;
    }

    // ---- non-regular files ------------------------------------------------------------------

    [Fact]
    public void A_fifo_or_a_device_is_refused_at_once_not_opened()
    {
        using var dir = new TempDir();
        string fifo = dir.File("scan.nii");
        Process.Start("mkfifo", [fifo])!.WaitForExit();
        string zero = dir.File("model.pth");
        File.CreateSymbolicLink(zero, "/dev/zero");

        Refused(fifo, "FIFO");
        var e = Bounded.Throws<InvalidDataException>(() => CheckpointFile.Load(zero));
        Assert.Contains("character device", e.Message);
        Assert.Contains(zero, e.Message);
        Bounded.Throws<InvalidDataException>(() => CheckpointFile.Inspect(fifo));
        Refused(dir.Path + "/", "folder", "DICOM");
    }

    // ---- NIfTI ------------------------------------------------------------------------------

    [Fact]
    public void A_gzip_stream_that_goes_on_past_the_image_is_refused_without_inflating_it()
    {
        using var dir = new TempDir();
        var raw = NiftiBytes(dir);
        string bomb = dir.File("bomb.nii.gz");
        using (var file = File.Create(bomb))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(raw);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gzip.Write(zeros); // 64 MiB of zeros in the same member
        }
        var outcome = Bounded.Run(() => MedicalImage.Load(bomb), TimeSpan.FromSeconds(10));
        Assert.IsType<InvalidDataException>(outcome.Error);
        Assert.Contains("past the image", outcome.Error!.Message);
        Assert.True(outcome.AllocatedBytes < 8 << 20, outcome.ToString());

        // A little padding after the voxels is still read, and checked to the trailer.
        string padded = dir.File("padded.nii.gz");
        using (var file = File.Create(padded))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(raw);
            gzip.Write(new byte[4096]);
        }
        Assert.Equal(Ramp, MedicalImage.Load(padded).Data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_NaN_scl_slope_means_no_scaling_and_an_infinite_one_is_refused(int version)
    {
        using var dir = new TempDir();
        var bytes = version == 1 ? NiftiBytes(dir) : File.ReadAllBytes(files.File("two.nii"));
        void Slope(byte[] b, double v)
        {
            if (version == 1) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(112), (float)v);
            else BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(176), v);
        }
        string nan = Patched(dir, "nan.nii", bytes, b => Slope(b, double.NaN));
        var facts = MedicalImage.Describe(nan);
        Assert.Null(facts.Nifti!.SclSlope);
        Assert.False(facts.Nifti.IsScaled);
        Assert.Equal(-1000, facts.Volume.Min);
        var cli = Support.Cli.Run("info", "--json", nan);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(cli.StdOut).RootElement.GetProperty("nifti").GetProperty("scl_slope").ValueKind);

        foreach (double inf in new[] { double.PositiveInfinity, double.NegativeInfinity })
            Refused(Patched(dir, "inf.nii", bytes, b => Slope(b, inf)), "scl_slope");
    }

    [Fact]
    public void A_singular_or_non_finite_affine_is_bad_input_naming_the_file()
    {
        using var dir = new TempDir();
        var bytes = NiftiBytes(dir);
        Refused(Patched(dir, "sform-zero.nii", bytes, b => b.AsSpan(280, 48).Clear()), "zero length");
        Refused(Patched(dir, "sform-nan.nii", bytes, b => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(284), float.NaN)), "non-finite");
        Refused(Patched(dir, "sform-parallel.nii", bytes, b =>
        {
            // Column j of the identity sform set to column i: both voxel axes step along x.
            BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(284), 1);
            BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(300), 0);
        }), "singular", "parallel");
        // qform only, with an infinite voxel size.
        Refused(Patched(dir, "pixdim-inf.nii", bytes, b =>
        {
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(254), 0);
            BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(84), float.PositiveInfinity);
        }), "non-finite");

        string mha = dir.File("spacing0.mha");
        File.WriteAllBytes(mha, [.. Encoding.ASCII.GetBytes("ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementSpacing = 0 1 1\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"), .. new byte[8]]);
        Refused(mha, "zero length");
        foreach (var (name, directions) in new[] { ("zero", "(0,0,0) (0,1,0) (0,0,1)"), ("parallel", "(1,0,0) (2,0,0) (0,0,1)") })
        {
            string nrrd = dir.File(name + ".nrrd");
            File.WriteAllBytes(nrrd, [.. Encoding.ASCII.GetBytes($"NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 2\nencoding: raw\nspace: RAS\nspace directions: {directions}\n\n"), .. new byte[8]]);
            Refused(nrrd, "zero length", "singular");
        }
        var cli = Support.Cli.Run("info", "--json", dir.File("sform-zero.nii"));
        Assert.Equal(3, cli.ExitCode);
        Assert.StartsWith($"segsam: error: {dir.File("sform-zero.nii")}: ", cli.StdErr);
    }

    [Fact]
    public void Header_sizes_whose_product_overflows_are_refused_before_any_allocation()
    {
        using var dir = new TempDir();
        // NIfTI-2 allows 64-bit dims: three of 2^31 - 1 overflow 64 bits when multiplied.
        var two = File.ReadAllBytes(files.File("two.nii"));
        string huge = Patched(dir, "huge.nii", two, b =>
        {
            for (int i = 1; i <= 3; i++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16 + 8 * i), int.MaxValue);
        });
        var outcome = Bounded.Run(() => MedicalImage.Load(huge), TimeSpan.FromSeconds(10));
        Assert.IsType<InvalidDataException>(outcome.Error);
        Assert.Contains("too large", outcome.Error!.Message);
        Assert.True(outcome.AllocatedBytes < 1 << 20, outcome.ToString());

        string nrrd = dir.File("huge.nrrd");
        File.WriteAllText(nrrd, "NRRD0004\ntype: float\ndimension: 3\nsizes: 2147483647 2147483647 2147483647\nencoding: raw\nendian: little\n\n");
        Refused(nrrd, "too large");
    }

    // ---- HDF5 -------------------------------------------------------------------------------

    [Fact]
    public void An_hdf5_image_that_is_a_soft_link_is_read_and_described()
    {
        // Soft links are not listed (as h5py's visititems does not), but "image" is still found.
        var facts = MedicalImage.Describe(files.File("linked_image.h5"));
        Assert.Equal("image", facts.ImageArray);
        Assert.Equal(["data/volume 4×5×6 float32", "image 4×5×6 float32"], facts.Arrays.Select(a => a.ToString()).Order());
        Assert.Equal(Ramp, MedicalImage.Load(files.File("linked_image.h5")).Data);
    }

    // ---- DICOM ------------------------------------------------------------------------------

    [Fact]
    public void A_rescale_beyond_float32_is_refused()
    {
        string path = files.File("ct_huge_slope.dcm");
        Refused(path, "Rescale Slope");
        Assert.Equal(3, Support.Cli.Run("info", "--json", path).ExitCode);
    }

    // ---- NumPy ------------------------------------------------------------------------------

    [Fact]
    public void Npy_headers_that_overflow_or_lie_are_refused_before_allocating()
    {
        using var dir = new TempDir();
        string Npy(string name, byte version, string dict, int extraLength = 0)
        {
            var header = Encoding.ASCII.GetBytes(dict + "\n");
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', version, 0 };
            if (version == 1) bytes.AddRange(BitConverter.GetBytes((ushort)(header.Length + extraLength)));
            else bytes.AddRange(BitConverter.GetBytes((uint)(header.Length + extraLength)));
            bytes.AddRange(header);
            string path = dir.File(name);
            File.WriteAllBytes(path, [.. bytes]);
            return path;
        }
        Refused(Npy("overflow.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"), "too large");
        Refused(Npy("length.npy", 2, "{}", unchecked((int)0xFFFFFFF0u) - 3), "header length");
        string lies = Npy("lies.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }");
        var outcome = Bounded.Run(() => MedicalImage.Load(lies), TimeSpan.FromSeconds(10));
        Assert.IsType<InvalidDataException>(outcome.Error);
        Assert.Contains("truncated", outcome.Error!.Message);
        Assert.True(outcome.AllocatedBytes < 1 << 20, outcome.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flipped_byte_in_an_npz_member_is_caught_by_its_crc(bool compressed)
    {
        using var dir = new TempDir();
        string path = dir.File("a.npz");
        var values = Enumerable.Range(0, 900).Select(i => (float)Math.Sin(i * 0.1)).ToArray();
        NpzFile.Write(path, new Dictionary<string, NpyArray> { ["image"] = NpyArray.From(values, 30, 30) }, compressed);
        var bytes = File.ReadAllBytes(path);
        int dataStart = 30 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(28));
        int compressedSize = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(18));
        // Every single-bit flip in the member's data must be refused (CRC, or deflate's own check).
        int refused = 0;
        for (int offset = dataStart + 128; offset < dataStart + compressedSize; offset += 97)
        {
            string flipped = Patched(dir, $"flip{offset}.npz", bytes, b => b[offset] ^= 0x10);
            var outcome = Bounded.Run(() => MedicalImage.Load(flipped), TimeSpan.FromSeconds(10));
            Assert.True(outcome.Error is InvalidDataException, $"flip at {offset}: {outcome}");
            Assert.StartsWith(flipped, outcome.Error!.Message, StringComparison.Ordinal);
            refused++;
            File.Delete(flipped);
        }
        Assert.True(refused >= 5);
        if (!compressed)
        {
            string flipped = Patched(dir, "one.npz", bytes, b => b[dataStart + 200] ^= 0x01);
            Refused(flipped, "CRC-32");
        }
    }

    // ---- NRRD / MetaImage compressed data ------------------------------------------------------

    [Fact]
    public void Gzip_and_zlib_data_must_end_in_their_checksums()
    {
        using var dir = new TempDir();
        var samples = Enumerable.Range(0, 8).Select(i => (byte)(i * 3)).ToArray();
        var gzip = new MemoryStream();
        using (var g = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true)) g.Write(samples);
        var gz = gzip.ToArray();
        var nrrdHeader = Encoding.ASCII.GetBytes("NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 2\nencoding: gzip\n\n");
        string good = dir.File("good.nrrd");
        File.WriteAllBytes(good, [.. nrrdHeader, .. gz]);
        Assert.Equal(samples.Select(b => (float)b), MedicalImage.Load(good).Data);
        string noTrailer = dir.File("no-trailer.nrrd");
        File.WriteAllBytes(noTrailer, [.. nrrdHeader, .. gz[..^8]]);
        Refused(noTrailer, "trailer", "truncated");
        var badCrc = (byte[])gz.Clone();
        badCrc[^8] ^= 0xff;
        string crc = dir.File("bad-crc.nrrd");
        File.WriteAllBytes(crc, [.. nrrdHeader, .. badCrc]);
        var e = Refused(crc, "CRC-32");
        Assert.DoesNotContain("compression method", e.Message);

        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true)) z.Write(samples);
        var zl = zlib.ToArray();
        var mhaHeader = Encoding.ASCII.GetBytes("ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = LOCAL\n");
        string mha = dir.File("good.mha");
        File.WriteAllBytes(mha, [.. mhaHeader, .. zl]);
        Assert.Equal(samples.Select(b => (float)b), MedicalImage.Load(mha).Data);
        string noAdler = dir.File("no-adler.mha");
        File.WriteAllBytes(noAdler, [.. mhaHeader, .. zl[..^4]]);
        Refused(noAdler, "Adler-32", "truncated");
        var badAdler = (byte[])zl.Clone();
        badAdler[^1] ^= 0xff;
        string adler = dir.File("bad-adler.mha");
        File.WriteAllBytes(adler, [.. mhaHeader, .. badAdler]);
        Assert.DoesNotContain("compression method", Refused(adler, "Adler-32").Message);
    }

    // ---- checkpoints ------------------------------------------------------------------------

    [Fact]
    public void A_safetensors_header_that_is_not_utf8_is_a_format_error()
    {
        using var dir = new TempDir();
        // A name holding bytes 0xff 0xfe, which never occur in UTF-8.
        byte[] header = [.. "{\"a"u8, 0xff, 0xfe, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8];
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0, 0, 0]);
        var e = Bounded.Throws<CheckpointFormatException>(() => CheckpointFile.Inspect(path));
        Assert.Contains("UTF-8", e.Message);
        Assert.Equal(3, Support.Cli.Run("checkpoint", "inspect", path).ExitCode);
    }

    [Fact]
    public void A_pickle_of_an_unknown_protocol_is_refused()
    {
        using var dir = new TempDir();
        string path = dir.File("proto9.pth");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
            s.Write([0x80, 9, (byte)'}', (byte)'.']);
        var e = Bounded.Throws<CheckpointFormatException>(() => CheckpointFile.Inspect(path));
        Assert.Contains("protocol 9", e.Message);
    }

    [Theory]
    [InlineData("missing.pth", "missing the storage record")]
    [InlineData("short.pth", "holds 8 bytes")]
    [InlineData("traversal.pth", "not a plain record name")]
    public void Inspect_checks_storage_records_as_loading_does(string name, string problem)
    {
        string path = files.File(name);
        Assert.Contains(problem, Bounded.Throws<CheckpointFormatException>(() => CheckpointFile.Inspect(path)).Message);
        Assert.Contains(problem, Bounded.Throws<CheckpointFormatException>(() => CheckpointFile.Load(path)).Message);
        var cli = Support.Cli.Run("checkpoint", "inspect", path);
        Assert.Equal(3, cli.ExitCode);
        Assert.Contains(path, cli.StdErr);
        Assert.Single(CheckpointFile.Inspect(files.File("ok.pth")));
    }
}
