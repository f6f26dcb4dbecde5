using System.CommandLine;
using System.Text;
using System.Text.Json;
using SegSam.Cli;
using SegSam.Cli.Commands;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>One file of every format the facade reads, written by nibabel, PIL, numpy, h5py and pydicom, plus hand-made MetaImage/NRRD.</summary>
public sealed class MedicalImageFiles : IDisposable
{
    readonly TempDir dir = new();

    public MedicalImageFiles()
    {
        Python.Run("""
            import sys, os, shutil, struct, numpy as np, nibabel as nib, h5py
            from PIL import Image
            from pydicom.data import get_testdata_file
            d = sys.argv[1]
            p = lambda n: os.path.join(d, n)
            vol = np.arange(5 * 4 * 3, dtype=np.int16).reshape(5, 4, 3)   # x, y, z
            aff = np.array([[-2.0, 0, 0, 10], [0, 2.0, 0, -20], [0, 0, 3.0, 5], [0, 0, 0, 1]])
            img = nib.Nifti1Image(vol, aff)
            img.header.set_qform(aff, code=1)
            img.header.set_sform(aff, code=2)
            img.to_filename(p('vol.nii'))
            with open(p('vol.nii'), 'r+b') as f:   # scl_slope 2, scl_inter -10, patched in after nibabel's own scaling
                f.seek(112); f.write(struct.pack('<ff', 2.0, -10.0))
            nib.save(nib.Nifti1Image(vol.astype(np.float32), aff), p('vol.nii.gz'))
            gray = (np.arange(6 * 8).reshape(6, 8) * 5).astype(np.uint8)   # H=6, W=8
            Image.fromarray(gray).save(p('gray.png'))
            Image.fromarray(gray).save(p('gray.bmp'))
            rgb = np.zeros((6, 8, 3), np.uint8); rgb[..., 0] = 200; rgb[..., 1] = 100; rgb[..., 2] = 50
            Image.fromarray(rgb).save(p('rgb.png'))
            Image.fromarray(np.full((6, 8), 77, np.uint8)).save(p('flat.jpg'), quality=100)
            np.save(p('slice.npy'), gray.astype(np.float32))
            zyx = np.arange(3 * 6 * 8, dtype=np.float32).reshape(3, 6, 8)
            np.save(p('zyx.npy'), zyx)
            np.savez(p('pair.npz'), image=zyx, label=(zyx > 100).astype(np.uint8))
            np.savez(p('other.npz'), weights=np.zeros(3))
            with h5py.File(p('case0001.npy.h5'), 'w') as f:
                f['image'] = zyx; f['label'] = (zyx > 100).astype(np.uint8)
            os.makedirs(p('series')); os.makedirs(p('empty'))
            ct = get_testdata_file('CT_small.dcm')
            shutil.copy(ct, p('series/a.dcm')); shutil.copy(ct, p('single.dcm')); shutil.copy(ct, p('noext'))
            with open(p('notes.txt'), 'w') as f: f.write('hello')
            """, [dir.Path]);
        System.IO.File.WriteAllBytes(dir.File("vol.mha"), [.. Encoding.ASCII.GetBytes(
            "ObjectType = Image\nNDims = 3\nDimSize = 4 3 2\nElementType = MET_SHORT\nElementSpacing = 0.5 0.5 2\nElementDataFile = LOCAL\n"),
            .. Enumerable.Range(0, 24).SelectMany(i => BitConverter.GetBytes((short)i))]);
        System.IO.File.WriteAllBytes(dir.File("vol.nrrd"), [.. Encoding.ASCII.GetBytes(
            "NRRD0004\ntype: float\ndimension: 3\nsizes: 4 3 2\nencoding: raw\nendian: little\nspace: left-posterior-superior\n" +
            "space directions: (1,0,0) (0,1,0) (0,0,1)\nspace origin: (0,0,0)\n\n"),
            .. Enumerable.Range(0, 24).SelectMany(i => BitConverter.GetBytes((float)i))]);
    }

    public string File(string name) => dir.File(name);

    public void Dispose() => dir.Dispose();
}

public sealed class MedicalImageTests(MedicalImageFiles files) : IClassFixture<MedicalImageFiles>
{
    [Fact]
    public void NiftiLoadsScaledWithItsHeaderFacts()
    {
        var v = MedicalImage.Load(files.File("vol.nii"));
        Assert.Equal([5, 4, 3], v.Dims);
        Assert.Equal(2 * 13 - 10, v[1, 0, 1]); // vol[1, 0, 1] = 1·12 + 1, times the slope plus the intercept
        var facts = MedicalImage.Describe(files.File("vol.nii"));
        Assert.Equal("NIfTI-1", facts.Format);
        Assert.Equal([2.0, 2.0, 3.0], facts.Volume.Spacing);
        Assert.Equal("LAS", facts.Volume.Orientation);
        Assert.Equal(-2, facts.Volume.Affine[0][0]);
        Assert.Equal(1, facts.Nifti!.QformCode);
        Assert.Equal(2, facts.Nifti.SformCode);
        Assert.Equal(2, facts.Nifti.SclSlope);
        Assert.True(facts.Nifti.IsScaled);
        Assert.Equal("int16", facts.Volume.DataType);
        Assert.Equal(-10, facts.Volume.Min);
        Assert.Equal(2 * 59 - 10, facts.Volume.Max);
        Assert.Equal(MedicalImage.Load(files.File("vol.nii.gz")).Data.Select(x => 2 * x - 10), v.Data);
    }

    [Fact]
    public void PicturesBecomeOneSliceVolumesShownAsStored()
    {
        var gray = MedicalImage.Load(files.File("gray.png"));
        Assert.Equal([8, 6, 1], gray.Dims);
        Assert.Equal(5 * (2 * 8 + 3), gray[3, 2, 0]); // row 2, column 3
        Assert.Equal("LPS", Orientation.AxisCodes(gray.Affine));
        Assert.Equal([1.0, 1.0, 1.0], gray.Spacing);
        // The axial view of the RAS+ volume is the picture itself.
        var (pixels, h, w) = SegSam.Data.SliceGeometry.Extract(Orientation.Canonical(gray).Canonical, 2, 0);
        Assert.Equal((6, 8), (h, w));
        Assert.Equal(gray.Data, pixels);
        Assert.Equal(gray.Data, MedicalImage.Load(files.File("gray.bmp")).Data);

        var rgb = MedicalImage.Load(files.File("rgb.png"));
        Assert.All(rgb.Data, x => Assert.Equal(0.299 * 200 + 0.587 * 100 + 0.114 * 50, x, 3));
        Assert.All(MedicalImage.Load(files.File("flat.jpg")).Data, x => Assert.InRange(x, 76, 78));
        Assert.Equal("JPEG", MedicalImage.Describe(files.File("flat.jpg")).Format);
        Assert.Equal([0.5, 0.7, 1.0], MedicalImage.Load(files.File("gray.png"), [0.5, 0.7]).Spacing);
    }

    [Fact]
    public void ArraysAreZyxVolumes()
    {
        var v = MedicalImage.Load(files.File("zyx.npy"));
        Assert.Equal([8, 6, 3], v.Dims);
        Assert.Equal(2 * 48 + 4 * 8 + 5, v[5, 4, 2]); // zyx[2, 4, 5]
        Assert.Equal([8, 6, 1], MedicalImage.Load(files.File("slice.npy")).Dims);

        var npz = MedicalImage.Describe(files.File("pair.npz"));
        Assert.Equal("image", npz.ImageArray);
        Assert.Equal(["image", "label"], npz.Arrays.Select(a => a.Name));
        Assert.Equal([3L, 6, 8], npz.Arrays[1].Shape);
        Assert.Equal("uint8", npz.Arrays[1].DataType);
        Assert.Equal(v.Data, MedicalImage.Load(files.File("pair.npz")).Data);

        var h5 = MedicalImage.Describe(files.File("case0001.npy.h5"));
        Assert.Equal("HDF5", h5.Format);
        Assert.Equal(["image", "label"], h5.Arrays.Select(a => a.Name).Order());
        Assert.Equal(v.Data, MedicalImage.Load(files.File("case0001.npy.h5")).Data);

        var e = Assert.Throws<InvalidDataException>(() => MedicalImage.Load(files.File("other.npz")));
        Assert.Contains("weights", e.Message);
    }

    [Fact]
    public void DicomLoadsFromAFolderAFileOrBareContent()
    {
        foreach (var path in new[] { files.File("series"), files.File("single.dcm"), files.File("noext") })
        {
            var facts = MedicalImage.Describe(path);
            Assert.Equal("DICOM", facts.Format);
            Assert.Equal([128, 128, 1], facts.Volume.Dims);
            Assert.Equal("CT", facts.Dicom!.Modality);
        }
    }

    [Fact]
    public void MetaImageAndNrrdLoad()
    {
        var mha = MedicalImage.Load(files.File("vol.mha"));
        Assert.Equal([4, 3, 2], mha.Dims);
        Assert.Equal([0.5, 0.5, 2.0], mha.Spacing);
        Assert.Equal(23, mha[3, 2, 1]);
        var nrrd = MedicalImage.Describe(files.File("vol.nrrd"));
        Assert.Equal("NRRD", nrrd.Format);
        Assert.Equal("LPS", nrrd.Volume.Orientation);
        Assert.Equal(11.5, nrrd.Volume.Mean, 6);
    }

    [Fact]
    public void UnreadableInputsGiveClearErrors()
    {
        var unknown = Assert.Throws<InvalidDataException>(() => MedicalImage.Load(files.File("notes.txt")));
        Assert.StartsWith(files.File("notes.txt"), unknown.Message);
        Assert.Contains("unknown image type", unknown.Message);
        Assert.Contains("NIfTI", unknown.Message);
        Assert.Contains(".nrrd", unknown.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => MedicalImage.Load(files.File("absent.nii.gz")));
        Assert.Contains("no such file or folder", missing.Message);

        var empty = Assert.Throws<InvalidDataException>(() => MedicalImage.Load(files.File("empty")));
        Assert.Contains("no DICOM image files", empty.Message);
    }

    // ---- segsam info ----

    static (int Code, string Out) Info(params string[] args)
    {
        var output = new StringWriter();
        var parse = InfoCommand.Create().Parse(args);
        Assert.Empty(parse.Errors);
        int code = parse.Invoke(new InvocationConfiguration { Output = output, Error = new StringWriter(), EnableDefaultExceptionHandler = false });
        return (code, output.ToString());
    }

    [Fact]
    public void InfoPrintsGridGeometryAndHeaderFacts()
    {
        var (code, text) = Info(files.File("vol.nii"));
        Assert.Equal(ExitCodes.Success, code);
        foreach (var expected in new[] { "NIfTI-1", "5 × 4 × 3", "2 × 2 × 3 mm", "affine", "LAS", "qform_code 1", "sform_code 2", "scl_slope 2", "int16" })
            Assert.Contains(expected, text);

        var (_, dicom) = Info(files.File("series"));
        Assert.Contains("DICOM series", dicom);

        var (_, json) = Info(files.File("zyx.npy"), "--json");
        using var doc = JsonDocument.Parse(json);
        var volume = doc.RootElement.GetProperty("volume");
        Assert.Equal(8, volume.GetProperty("dims")[0].GetInt32());
        Assert.Equal(-1, volume.GetProperty("affine")[0][0].GetDouble());
        Assert.Equal(143, volume.GetProperty("max").GetDouble());
    }

    [Fact]
    public void InfoOnABadPathIsAnInputError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Info(files.File("absent.nii.gz")));
        Assert.Equal(ExitCodes.InputError, CliApp.Report(e));
        Assert.Equal(ExitCodes.InputError, CliApp.Report(Assert.Throws<InvalidDataException>(() => Info(files.File("notes.txt")))));
        Assert.NotEmpty(InfoCommand.Create().Parse([]).Errors);
    }
}
