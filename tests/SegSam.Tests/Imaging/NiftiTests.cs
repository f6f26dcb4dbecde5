using System.IO.Compression;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>
/// NIfTI files written by nibabel (and Debian's mricron templates) with what nibabel reads from
/// them: the reference for the reader. Generated once per test class.
/// </summary>
public sealed class NibabelNiftiFiles : IDisposable
{
    public const string Templates = "/usr/share/mricron/templates";

    const string Script = """
        import json, os, shutil, sys
        import numpy as np
        import nibabel as nib

        out = sys.argv[1]
        templates = sys.argv[2]
        rng = np.random.RandomState(7)
        cases = {}

        def rot(ax, deg):
            t = np.deg2rad(deg); c, s = np.cos(t), np.sin(t)
            m = np.eye(4)
            i, j = [(1, 2), (0, 2), (0, 1)][ax]
            m[i, i] = c; m[j, j] = c; m[i, j] = -s; m[j, i] = s
            return m

        def reference(name, path, volumes=(0,)):
            img = nib.load(path)
            hdr = img.header
            q, qc = hdr.get_qform(coded=True)
            s, sc = hdr.get_sform(coded=True)
            entry = {
                "file": path, "shape": list(img.shape), "dtype": hdr.get_data_dtype().newbyteorder("=").name,
                "affine": img.affine.tolist(), "zooms": [float(z) for z in hdr.get_zooms()],
                "qform_code": int(qc), "sform_code": int(sc),
                "qform": None if q is None else q.tolist(), "sform": None if s is None else s.tolist(),
                "slope": float(img.dataobj.slope), "inter": float(img.dataobj.inter),
                "endian": hdr.endianness, "version": 2 if isinstance(img, nib.Nifti2Image) else 1,
                "axcodes": "".join(nib.aff2axcodes(img.affine)), "volumes": {},
            }
            for v in volumes:
                vol = np.asarray(img.dataobj[..., v] if len(img.shape) == 4 else img.dataobj, dtype=np.float64)
                raw = f"{name}_v{v}.f32"
                vol.astype(np.float32).ravel(order="F").tofile(os.path.join(out, raw))
                entry["volumes"][str(v)] = raw
            cases[name] = entry

        def save(img, name):
            path = os.path.join(out, name)
            nib.save(img, path)
            return path

        # Debian mricron-data templates, as shipped and as uncompressed copies written by nibabel.
        for name in ["ch2", "aal", "inia19-t1-brain", "inia19-NeuroMaps"]:
            reference(name, os.path.join(templates, name + ".nii.gz"))
            reference(name + "-nii", save(nib.load(os.path.join(templates, name + ".nii.gz")), name + ".nii"))

        base = np.diag([0.8, 1.2, 2.5, 1.0]); base[:3, 3] = [-10.5, 20.25, 7.0]
        shape = (7, 6, 5)
        values = rng.uniform(-300, 900, size=shape)

        img = nib.Nifti1Image(values, base, dtype=np.int16)
        reference("int16-scaled", save(img, "int16_scaled.nii.gz"))
        assert cases["int16-scaled"]["slope"] != 1.0

        reference("float64", save(nib.Nifti1Image(values * 1.234567891, base, dtype=np.float64), "float64.nii"))
        reference("uint16", save(nib.Nifti1Image(rng.randint(0, 65536, size=shape).astype(np.uint16), base), "uint16.nii.gz"))
        reference("int32", save(nib.Nifti1Image(rng.randint(-2**31, 2**31 - 1, size=shape).astype(np.int32), base), "int32.nii"))
        reference("int8", save(nib.Nifti1Image(rng.randint(-128, 128, size=shape).astype(np.int8), base, dtype=np.int8), "int8.nii"))
        reference("uint32", save(nib.Nifti1Image(rng.randint(0, 2**32 - 1, size=shape, dtype=np.uint64).astype(np.uint32), base, dtype=np.uint32), "uint32.nii"))
        reference("int64", save(nib.Nifti1Image(rng.randint(-2**40, 2**40, size=shape).astype(np.int64), base, dtype=np.int64), "int64.nii"))
        reference("uint64", save(nib.Nifti1Image(rng.randint(0, 2**50, size=shape).astype(np.uint64), base, dtype=np.uint64), "uint64.nii"))

        # qform only, rotated, with a negative determinant (qfac = -1).
        qaff = rot(2, 30) @ rot(0, -12) @ np.diag([1.5, 2.0, -2.5, 1.0]); qaff[:3, 3] = [12.0, -30.0, 45.5]
        img = nib.Nifti1Image(values.astype(np.float32), None)
        img.set_qform(qaff, code=1); img.set_sform(None, code=0)
        reference("qform-only", save(img, "qform_only.nii"))
        assert cases["qform-only"]["sform_code"] == 0 and cases["qform-only"]["qform_code"] == 1
        assert nib.load(os.path.join(out, "qform_only.nii")).header["pixdim"][0] == -1

        # Neither qform nor sform: nibabel's centred, x-flipped base affine.
        img = nib.Nifti1Image(values.astype(np.float32), base)
        img.set_qform(None, code=0); img.set_sform(None, code=0)
        reference("no-xform", save(img, "no_xform.nii"))
        assert cases["no-xform"]["sform_code"] == 0 and cases["no-xform"]["qform_code"] == 0

        oblique = rot(0, 20) @ rot(1, -35) @ rot(2, 50) @ np.diag([0.9, 1.1, 3.0, 1.0]); oblique[:3, 3] = [-40.0, 60.0, -20.0]
        img = nib.Nifti1Image(values.astype(np.float32), oblique)
        img.set_sform(oblique, code=1); img.set_qform(oblique, code=1)
        reference("oblique", save(img, "oblique.nii.gz"))

        reference("nifti2", save(nib.Nifti2Image(values.astype(np.float32), oblique), "nifti2.nii"))
        reference("nifti2-gz", save(nib.Nifti2Image(values, qaff, dtype=np.int16), "nifti2_int16.nii.gz"))

        img = nib.Nifti1Image(values, base, header=nib.Nifti1Header(endianness=">"), dtype=np.int16)
        reference("big-endian-int16", save(img, "big_endian_int16.nii"))
        img = nib.Nifti1Image(values.astype(np.float32), qaff, header=nib.Nifti1Header(endianness=">"))
        reference("big-endian-float32", save(img, "big_endian_float32.nii.gz"))
        img = nib.Nifti2Image(values.astype(np.float64), base, header=nib.Nifti2Header(endianness=">"))
        reference("big-endian-nifti2", save(img, "big_endian_nifti2.nii"))
        for n in ["big-endian-int16", "big-endian-float32", "big-endian-nifti2"]:
            assert cases[n]["endian"] == ">"

        four = np.stack([values * (v + 1) for v in range(4)], axis=-1).astype(np.float32)
        reference("4d", save(nib.Nifti1Image(four, base), "four_d.nii.gz"), volumes=(0, 2))

        reference("pair", save(nib.Nifti1Pair(rng.randint(0, 40, size=shape).astype(np.uint8), qaff), "pair.img"))

        # Files the error tests start from.
        save(nib.Nifti1Image(values.astype(np.float32), base), "small.nii")
        nan_values = values.astype(np.float32)
        nan_values[1, 2, 3] = np.nan; nan_values[0, 0, 0] = np.nan; nan_values[6, 5, 4] = np.inf; nan_values[3, 3, 3] = -np.inf
        save(nib.Nifti1Image(nan_values, base), "nan.nii")
        save(nib.Nifti1Image(np.zeros((4, 4, 4, 1, 3), dtype=np.float32), base), "five_d.nii")

        with open(os.path.join(out, "cases.json"), "w") as f:
            json.dump(cases, f)
        """;

    public TempDir Dir { get; } = new();
    public IReadOnlyDictionary<string, JsonElement> Cases { get; }

    public NibabelNiftiFiles()
    {
        Python.Run(Script, [Dir.Path, Templates], TimeSpan.FromMinutes(5));
        using var doc = JsonDocument.Parse(File.ReadAllText(Dir.File("cases.json")));
        Cases = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    public float[] Volume(string name, int volume) =>
        Floats(File.ReadAllBytes(Dir.File(Cases[name].GetProperty("volumes").GetProperty(volume.ToString()).GetString()!)));

    public static float[] Floats(byte[] bytes) => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes)];

    public void Dispose() => Dir.Dispose();
}

public sealed class NiftiTests(NibabelNiftiFiles files) : IClassFixture<NibabelNiftiFiles>
{
    [Theory]
    [InlineData("ch2")]
    [InlineData("aal")]
    [InlineData("inia19-t1-brain")]
    [InlineData("inia19-NeuroMaps")]
    [InlineData("ch2-nii")]
    [InlineData("aal-nii")]
    [InlineData("inia19-t1-brain-nii")]
    [InlineData("inia19-NeuroMaps-nii")]
    [InlineData("int16-scaled")]
    [InlineData("float64")]
    [InlineData("uint16")]
    [InlineData("int32")]
    [InlineData("int8")]
    [InlineData("uint32")]
    [InlineData("int64")]
    [InlineData("uint64")]
    [InlineData("qform-only")]
    [InlineData("no-xform")]
    [InlineData("oblique")]
    [InlineData("nifti2")]
    [InlineData("nifti2-gz")]
    [InlineData("big-endian-int16")]
    [InlineData("big-endian-float32")]
    [InlineData("big-endian-nifti2")]
    [InlineData("4d")]
    [InlineData("pair")]
    public void Read_MatchesNibabel(string name)
    {
        var reference = files.Cases[name];
        string path = reference.GetProperty("file").GetString()!;
        var shape = Ints(reference.GetProperty("shape"));
        foreach (var volume in reference.GetProperty("volumes").EnumerateObject())
        {
            int index = int.Parse(volume.Name);
            var image = NiftiFile.Read(path, volume: index);

            Assert.Equal(shape, image.Dims);
            Assert.Equal(shape.Take(3), image.Volume.Dims);
            Assert.Equal(index, image.VolumeIndex);
            Assert.Equal(reference.GetProperty("dtype").GetString(), image.DataType);
            Assert.Equal(reference.GetProperty("dtype").GetString(), image.Volume.SourceDataType);
            Assert.Equal(reference.GetProperty("version").GetInt32(), image.Version);
            Assert.Equal(reference.GetProperty("endian").GetString() == ">", image.BigEndian);
            Assert.Equal(path, image.Volume.Source);

            var expected = files.Volume(name, index);
            Assert.Equal(expected.Length, image.Volume.Data.Length);
            int mismatches = expected.Where((v, i) => v.CompareTo(image.Volume.Data[i]) != 0).Count();
            Assert.True(mismatches == 0, $"{name}: {mismatches} voxels differ from nibabel");
            Assert.Equal(expected.Min(), image.Min);
            Assert.Equal(expected.Max(), image.Max);

            var affine = Matrix(reference.GetProperty("affine"));
            AssertClose(affine, image.Volume.Affine, 1e-6, $"{name} affine");
            var spacing = Enumerable.Range(0, 3).Select(c => Math.Sqrt(Enumerable.Range(0, 3).Sum(r => affine[r, c] * affine[r, c]))).ToArray();
            Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(spacing[i], image.Volume.Spacing[i], 1e-6));
            var zooms = reference.GetProperty("zooms").EnumerateArray().Select(z => z.GetDouble()).ToArray();
            Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(zooms[i], image.PixDims[i], 1e-7));

            Assert.Equal(reference.GetProperty("qform_code").GetInt32(), image.QformCode);
            Assert.Equal(reference.GetProperty("sform_code").GetInt32(), image.SformCode);
            AssertOptionalMatrix(reference.GetProperty("qform"), image.QformAffine, $"{name} qform");
            AssertOptionalMatrix(reference.GetProperty("sform"), image.SformAffine, $"{name} sform");
            double slope = reference.GetProperty("slope").GetDouble(), inter = reference.GetProperty("inter").GetDouble();
            Assert.Equal(slope, image.IsScaled ? image.SclSlope : 1.0);
            Assert.Equal(inter, image.IsScaled ? image.SclInter : 0.0);
            Assert.Equal(reference.GetProperty("axcodes").GetString(), Orientation.AxisCodes(image.Volume.Affine));
        }
    }

    [Fact]
    public void Read_ScaledInt16_AppliesSlopeAndIntercept()
    {
        var image = NiftiFile.Read(files.Cases["int16-scaled"].GetProperty("file").GetString()!);
        Assert.True(image.IsScaled);
        Assert.NotEqual(1.0, image.SclSlope);
        Assert.Contains(image.Volume.Data, v => v != MathF.Round(v));
    }

    [Fact]
    public void Read_FourD_RecordsAllDimsAndPicksTheVolume()
    {
        string path = files.Cases["4d"].GetProperty("file").GetString()!;
        var first = NiftiFile.Read(path);
        var third = NiftiFile.Read(path, volume: 2);
        Assert.Equal([7, 6, 5, 4], first.Dims);
        Assert.Equal(first.Volume.Data.Select(v => v * 3), third.Volume.Data.Select(v => v), new FloatTolerance(1e-3f, relative: true));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NiftiFile.Read(path, volume: 4));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("labels.nii", "uint8")]
    [InlineData("labels.nii.gz", "uint8")]
    [InlineData("labels16.nii.gz", "int16")]
    [InlineData("labels32.nii", "int32")]
    [InlineData("image.nii", "float32")]
    [InlineData("image.nii.gz", "float32")]
    [InlineData("image64.nii.gz", "float64")]
    public void Write_NibabelReadsTheSameDataAndAffine(string fileName, string dataType)
    {
        using var dir = new TempDir();
        string path = dir.File(fileName);
        bool labels = dataType != "float32" && dataType != "float64";
        // int16 gets a mirrored (LAS, negative determinant) grid, so the qform needs qfac = -1.
        var affine = dataType == "int16" ? Affine([-1.25, 0, 0, 60], [0, 1.0, 0, -70], [0, 0, 3.0, -20]) : ObliqueAffine();
        var volume = SampleVolume(affine, labels);
        NiftiFile.Write(path, volume, dataType);

        var result = Python.Run("""
            import json, sys
            import numpy as np
            import nibabel as nib
            img = nib.load(sys.argv[1])
            q, qc = img.header.get_qform(coded=True)
            s, sc = img.header.get_sform(coded=True)
            np.asarray(img.dataobj, dtype=np.float64).astype(np.float32).ravel(order="F").tofile(sys.argv[2])
            print(json.dumps({"dtype": img.get_data_dtype().name, "affine": img.affine.tolist(), "qform": q.tolist(),
                              "sform": s.tolist(), "qform_code": int(qc), "sform_code": int(sc), "shape": list(img.shape)}))
            """, [path, dir.File("data.f32")]);
        using var doc = JsonDocument.Parse(result.StdOut);
        var r = doc.RootElement;
        Assert.Equal(dataType, r.GetProperty("dtype").GetString());
        Assert.Equal(volume.Dims, Ints(r.GetProperty("shape")));
        Assert.Equal(volume.Data, NibabelNiftiFiles.Floats(File.ReadAllBytes(dir.File("data.f32"))));
        Assert.Equal(1, r.GetProperty("qform_code").GetInt32());
        Assert.Equal(1, r.GetProperty("sform_code").GetInt32());
        AssertClose(volume.Affine, Matrix(r.GetProperty("sform")), 0, "sform");
        AssertClose(volume.Affine, Matrix(r.GetProperty("affine")), 0, "affine");
        AssertClose(volume.Affine, Matrix(r.GetProperty("qform")), 2e-5, "qform");

        var back = NiftiFile.Read(path);
        Assert.Equal(volume.Data, back.Volume.Data);
        Assert.Equal(dataType, back.DataType);
        AssertClose(volume.Affine, back.Volume.Affine, 0, "read back");
        AssertClose(volume.Affine, back.QformAffine!, 2e-5, "qform read back");
    }

    [Fact]
    public void Write_PassesCodesAndDescription()
    {
        using var dir = new TempDir();
        string path = dir.File("codes.nii");
        NiftiFile.Write(path, SampleVolume(Volume.Identity(), labels: true), "uint8", qformCode: 0, sformCode: 4, description: "test labels");
        var back = NiftiFile.Read(path);
        Assert.Equal(0, back.QformCode);
        Assert.Null(back.QformAffine);
        Assert.Equal(4, back.SformCode);
        Assert.Equal("test labels", back.Description);
    }

    [Fact]
    public void Write_ShearedAffine_KeepsItInTheSformAndARotationInTheQform()
    {
        using var dir = new TempDir();
        string path = dir.File("sheared.nii.gz");
        var affine = ObliqueAffine();
        affine[0, 1] = (float)(affine[0, 1] + 0.25);
        var volume = SampleVolume(affine, labels: false);
        NiftiFile.Write(path, volume);
        var back = NiftiFile.Read(path);
        AssertClose(affine, back.Volume.Affine, 0, "sform");
        var q = back.QformAffine!;
        var columns = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 3).Select(r => q[r, c]).ToArray()).ToArray();
        var spacing = volume.Spacing;
        for (int a = 0; a < 3; a++)
        {
            Assert.Equal(spacing[a], Math.Sqrt(columns[a].Sum(v => v * v)), 1e-5);
            for (int b = a + 1; b < 3; b++) Assert.Equal(0, columns[a].Zip(columns[b], (x, y) => x * y).Sum(), 1e-5);
        }
    }

    [Theory]
    [InlineData(1.5f, "uint8")]
    [InlineData(256f, "uint8")]
    [InlineData(-1f, "uint8")]
    [InlineData(40000f, "int16")]
    [InlineData(float.NaN, "int32")]
    public void Write_UnrepresentableValue_IsAnError(float value, string dataType)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.nii");
        var volume = SampleVolume(Volume.Identity(), labels: true);
        volume.Data[5] = value;
        var e = Assert.Throws<ArgumentException>(() => NiftiFile.Write(path, volume, dataType));
        Assert.Contains(path, e.Message);
        Assert.Contains("index 5", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Write_RejectsOtherExtensionsAndDatatypes()
    {
        using var dir = new TempDir();
        var volume = SampleVolume(Volume.Identity(), labels: true);
        Assert.Contains(dir.File("x.mha"), Assert.Throws<ArgumentException>(() => NiftiFile.Write(dir.File("x.mha"), volume)).Message);
        Assert.Contains("complex64", Assert.Throws<ArgumentException>(() => NiftiFile.Write(dir.File("x.nii"), volume, "complex64")).Message);
    }

    public static TheoryData<string> Orientations => new() { "LPS", "LAS", "PIR", "oblique" };

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Canonical_MatchesNibabelAndRestoresExactly(string orientation)
    {
        var affine = orientation switch
        {
            "LPS" => Affine([-0.7, 0, 0, 80], [0, -0.8, 0, 90], [0, 0, 2.5, -40]),
            "LAS" => Affine([-1.25, 0, 0, 60], [0, 1.0, 0, -70], [0, 0, 3.0, -20]),
            "PIR" => Affine([0, 0, 1.5, -30], [-0.9, 0, 0, 40], [0, -1.1, 0, 25]),
            _ => ObliqueAffine(),
        };
        var volume = SampleVolume(affine, labels: false);
        var (canonical, transform) = Orientation.Canonical(volume);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("in.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(volume.Data.AsSpan()).ToArray());
        var result = Python.Run("""
            import json, sys
            import numpy as np
            import nibabel as nib
            spec = json.loads(sys.argv[1])
            data = np.fromfile(sys.argv[2], dtype=np.float32).reshape(spec["dims"], order="F")
            img = nib.Nifti1Image(data, np.array(spec["affine"]))
            can = nib.as_closest_canonical(img)
            np.asarray(can.dataobj).ravel(order="F").tofile(sys.argv[3])
            print(json.dumps({"affine": can.affine.tolist(), "shape": list(can.shape),
                              "codes": "".join(nib.aff2axcodes(img.affine))}))
            """, [JsonSerializer.Serialize(new { dims = volume.Dims, affine = Rows(volume.Affine) }), dir.File("in.f32"), dir.File("out.f32")]);
        using var doc = JsonDocument.Parse(result.StdOut);
        var r = doc.RootElement;

        Assert.Equal(r.GetProperty("codes").GetString(), Orientation.AxisCodes(volume.Affine));
        Assert.Equal(r.GetProperty("codes").GetString(), transform.OriginalAxisCodes);
        if (orientation != "oblique") Assert.Equal(orientation, transform.OriginalAxisCodes);
        Assert.Equal("RAS", Orientation.AxisCodes(canonical.Affine));
        Assert.Equal(Ints(r.GetProperty("shape")), canonical.Dims);
        Assert.Equal(NibabelNiftiFiles.Floats(File.ReadAllBytes(dir.File("out.f32"))), canonical.Data);
        AssertClose(Matrix(r.GetProperty("affine")), canonical.Affine, 1e-9, "canonical affine");

        var restored = transform.Restore(canonical);
        Assert.Equal(volume.Dims, restored.Dims);
        Assert.Equal(volume.Data, restored.Data);
        AssertClose(volume.Affine, restored.Affine, 0, "restored affine");
    }

    [Fact]
    public void Canonical_OfRasVolume_IsAnIdentityCopy()
    {
        var volume = SampleVolume(Affine([0.5, 0, 0, 1], [0, 0.5, 0, 2], [0, 0, 0.5, 3]), labels: true);
        var (canonical, transform) = Orientation.Canonical(volume);
        Assert.True(transform.IsIdentity);
        Assert.NotSame(volume.Data, canonical.Data);
        Assert.Equal(volume.Data, canonical.Data);
        AssertClose(volume.Affine, canonical.Affine, 0, "affine");
    }

    [Fact]
    public void Restore_RejectsAVolumeOnAnotherGrid()
    {
        var volume = SampleVolume(Affine([0, 0, 1.5, -30], [-0.9, 0, 0, 40], [0, -1.1, 0, 25]), labels: false);
        var (_, transform) = Orientation.Canonical(volume);
        Assert.Throws<ArgumentException>(() => transform.Restore(volume));
    }

    // ---- bad input ----

    [Fact]
    public void MissingFile_IsFileNotFound()
    {
        using var dir = new TempDir();
        string path = dir.File("absent.nii.gz");
        var e = Assert.Throws<FileNotFoundException>(() => NiftiFile.Read(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void RandomBytes_AreRejected() => AssertInvalid(WithBytes("random.nii", RandomBytes(2000)), "sizeof_hdr");

    [Fact]
    public void WrongMagic_IsRejected() => AssertInvalid(Patched("magic.nii", b => "abc\0"u8.CopyTo(b.AsSpan(344))), "magic");

    [Fact]
    public void TruncatedHeader_IsRejected() => AssertInvalid(WithBytes("short.nii", Small()[..200]), "truncated header");

    [Fact]
    public void HeaderClaimingMoreData_IsRejected() =>
        AssertInvalid(Patched("more.nii", b => BitConverter.GetBytes((short)50).CopyTo(b, 46)), "data shorter than the header says");

    [Fact]
    public void HeaderClaimingMoreData_Gzip_IsRejected() =>
        AssertInvalid(WithBytes("more.nii.gz", Gzip(Patch(Small(), b => BitConverter.GetBytes((short)50).CopyTo(b, 46)))), "data shorter than the header says");

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ZeroOrNegativeDims_AreRejected(short size) =>
        AssertInvalid(Patched($"dims{size}.nii", b => BitConverter.GetBytes(size).CopyTo(b, 44)), $"dim[2] = {size}");

    [Fact]
    public void UnsupportedDatatype_IsRejected() =>
        AssertInvalid(Patched("rgb.nii", b => BitConverter.GetBytes((short)128).CopyTo(b, 70)), "RGB24");

    [Fact]
    public void VoxOffsetBeyondTheFile_IsRejected() =>
        AssertInvalid(Patched("offset.nii", b => BitConverter.GetBytes(1e6f).CopyTo(b, 108)), "beyond the end");

    [Fact]
    public void VoxOffsetBeyondTheFile_Gzip_IsRejected() =>
        AssertInvalid(WithBytes("offset.nii.gz", Gzip(Patch(Small(), b => BitConverter.GetBytes(1e6f).CopyTo(b, 108)))), "beyond the end");

    [Fact]
    public void VoxOffsetInsideTheHeader_IsRejected() =>
        AssertInvalid(Patched("inside.nii", b => BitConverter.GetBytes(100f).CopyTo(b, 108)), "inside the header");

    [Fact]
    public void FiveDimensionalFile_IsRejected() =>
        AssertInvalid(files.Dir.File("five_d.nii"), "5D");

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void TruncatedGzip_IsRejected(double keep)
    {
        var gz = File.ReadAllBytes(files.Cases["ch2"].GetProperty("file").GetString()!);
        AssertInvalid(WithBytes($"cut{keep}.nii.gz", gz[..(int)(gz.Length * keep)]), "truncated gzip");
    }

    [Fact]
    public void GzipMissingOnlyItsTrailer_IsRejected()
    {
        var gz = Gzip(Small());
        AssertInvalid(WithBytes("trailer.nii.gz", gz[..^3]), "truncated");
    }

    [Fact]
    public void GzipWithWrongChecksum_IsRejected()
    {
        var gz = Gzip(Small());
        gz[^6] ^= 0x5a;
        AssertInvalid(WithBytes("crc.nii.gz", gz), "corrupted");
    }

    [Fact]
    public void MultiMemberGzip_IsRead()
    {
        var small = Small();
        var gz = Gzip(small[..1000]).Concat(Gzip(small[1000..])).ToArray();
        string path = WithBytes("members.nii.gz", gz);
        Assert.Equal(NiftiFile.Read(files.Dir.File("small.nii")).Volume.Data, NiftiFile.Read(path).Volume.Data);
    }

    [Fact]
    public void NonFiniteVoxels_AreAnErrorUnlessAllowed()
    {
        string path = files.Dir.File("nan.nii");
        var e = AssertInvalid(path, "4 of 210 voxels are NaN or infinite");
        Assert.Contains("allowNonFinite", e.Message);
        var image = NiftiFile.Read(path, allowNonFinite: true);
        var clean = NiftiFile.Read(files.Dir.File("small.nii")).Volume.Data;
        int[] bad = [0, 1 + 7 * (2 + 6 * 3), 6 + 7 * (5 + 6 * 4), 3 + 7 * (3 + 6 * 3)];
        for (int i = 0; i < clean.Length; i++) Assert.Equal(bad.Contains(i) ? 0 : clean[i], image.Volume.Data[i]);
    }

    // ---- helpers ----

    static InvalidDataException AssertInvalid(string path, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => NiftiFile.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    byte[] Small() => File.ReadAllBytes(files.Dir.File("small.nii"));

    string Patched(string name, Action<byte[]> patch) => WithBytes(name, Patch(Small(), patch));

    static byte[] Patch(byte[] bytes, Action<byte[]> patch)
    {
        patch(bytes);
        return bytes;
    }

    string WithBytes(string name, byte[] bytes)
    {
        string path = files.Dir.File("bad-" + name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] Gzip(byte[] bytes)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(bytes);
        return ms.ToArray();
    }

    static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(3).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A 9×8×7 volume of labels 0–5 or of smooth float32 values.</summary>
    static Volume SampleVolume(double[,] affine, bool labels)
    {
        var random = new Random(11);
        int[] dims = [9, 8, 7];
        var data = new float[dims[0] * dims[1] * dims[2]];
        for (int i = 0; i < data.Length; i++)
            data[i] = labels ? random.Next(6) : (float)(random.NextDouble() * 2000 - 500);
        return new Volume(dims, data, affine);
    }

    /// <summary>A rotated, anisotropic affine whose entries are float32-exact, so a NIfTI sform stores it unchanged.</summary>
    static double[,] ObliqueAffine()
    {
        double a = 0.35, b = -0.6;
        double[,] rz = { { Math.Cos(a), -Math.Sin(a), 0 }, { Math.Sin(a), Math.Cos(a), 0 }, { 0, 0, 1 } };
        double[,] rx = { { 1, 0, 0 }, { 0, Math.Cos(b), -Math.Sin(b) }, { 0, Math.Sin(b), Math.Cos(b) } };
        double[] zoom = [0.9, 1.4, 2.2];
        var m = Volume.Identity();
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                m[r, c] = (float)(Enumerable.Range(0, 3).Sum(k => rz[r, k] * rx[k, c]) * zoom[c]);
        m[0, 3] = -31.5; m[1, 3] = 44.25; m[2, 3] = 12;
        return m;
    }

    static double[,] Affine(double[] x, double[] y, double[] z)
    {
        var m = Volume.Identity();
        for (int c = 0; c < 4; c++) { m[0, c] = x[c]; m[1, c] = y[c]; m[2, c] = z[c]; }
        return m;
    }

    static double[][] Rows(double[,] m) =>
        [.. Enumerable.Range(0, 4).Select(r => Enumerable.Range(0, 4).Select(c => m[r, c]).ToArray())];

    static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    static double[,] Matrix(JsonElement rows)
    {
        var m = new double[4, 4];
        int r = 0;
        foreach (var row in rows.EnumerateArray())
        {
            int c = 0;
            foreach (var v in row.EnumerateArray()) m[r, c++] = v.GetDouble();
            r++;
        }
        return m;
    }

    static void AssertOptionalMatrix(JsonElement expected, double[,]? actual, string what)
    {
        if (expected.ValueKind == JsonValueKind.Null) Assert.Null(actual);
        else
        {
            Assert.NotNull(actual);
            AssertClose(Matrix(expected), actual, 1e-6, what);
        }
    }

    static void AssertClose(double[,] expected, double[,] actual, double tolerance, string what)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(expected[r, c] - actual[r, c]) <= tolerance,
                    $"{what}[{r},{c}]: expected {expected[r, c]:R}, got {actual[r, c]:R}");
    }
}
