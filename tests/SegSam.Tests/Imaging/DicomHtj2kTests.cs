using System.Runtime.InteropServices;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;
using static SegSam.Tests.Imaging.DicomCompressedTests;
using static SegSam.Tests.Imaging.DicomTests;

namespace SegSam.Tests.Imaging;

/// <summary>
/// High-Throughput JPEG 2000 (ISO 15444-15; DICOM syntaxes 1.2.840.10008.1.2.4.201–.203),
/// decoded by OpenJPEG 2.5. The streams are written by OpenJPH's ojph_compress (an encoder
/// independent of OpenJPEG), one codestream per frame, and encapsulated by pydicom. Lossless
/// frames must come back exactly as the original; lossy ones exactly as opj_decompress gives
/// them and within 1 of OpenJPH's own decoder (ojph_expand), whose irreversible dequantisation
/// rounds differently (measured: 86 of 4096 samples of the 16-bit case differ by 1).
/// </summary>
public class DicomHtj2kTests
{
    /// <summary>
    /// Writes an HTJ2K DICOM file and the reference values: orig.raw (the source pixels),
    /// opj.raw and ojph.raw (each frame decoded by opj_decompress and ojph_expand), all int64.
    /// </summary>
    /// <param name="damage">A Python statement run on the list of codestreams `streams` before they are encapsulated.</param>
    static string Write(TempDir dir, string source, string uid, string options, string photometric, string damage = "pass")
    {
        string file = dir.File("htj2k.dcm");
        Python.Run($$"""
            import numpy as np, pydicom, subprocess
            from pydicom.encaps import encapsulate
            from pydicom._uid_dict import UID_dictionary
            # Debian's pydicom 2.3 predates the HTJ2K syntaxes (PS3.6 Table A-1 lists them since 2023).
            for uid, name in [('201', 'Lossless Only'), ('202', 'with RPCL Options (Lossless Only)'), ('203', '')]:
                UID_dictionary['1.2.840.10008.1.2.4.' + uid] = ('High-Throughput JPEG 2000 ' + name, 'Transfer Syntax', '', '', 'HTJ2K' + uid)
            ds = pydicom.dcmread('{{source}}')
            a = ds.pixel_array
            frames = a if ds.get('NumberOfFrames', 1) > 1 else a[None]
            colour = frames.ndim == 4
            if not colour:
                frames = frames.astype(np.uint16)   # MR_small's values are 0–4095: stored as unsigned 16-bit
            def netpbm(f, path):
                h, w = f.shape[:2]
                maxval = 255 if f.dtype == np.uint8 else 65535
                head = f"{'P6' if colour else 'P5'}\n{w} {h}\n{maxval}\n".encode()
                open(path, 'wb').write(head + f.astype('>u2' if maxval > 255 else np.uint8).tobytes())
            def read(path):
                b = open(path, 'rb').read()
                n = frames[0].size
                return np.frombuffer(b[len(b) - n * frames.itemsize:], '>u2' if frames.itemsize == 2 else np.uint8)
            ext = 'ppm' if colour else 'pgm'
            streams, opj, ojph = [], [], []
            for k, f in enumerate(frames):
                netpbm(f, f'{{dir.Path}}/in{k}.{ext}')
                subprocess.run(['ojph_compress', '-i', f'{{dir.Path}}/in{k}.{ext}', '-o', f'{{dir.Path}}/f{k}.j2c'] + '{{options}}'.split(), check=True, capture_output=True)
                subprocess.run(['ojph_expand', '-i', f'{{dir.Path}}/f{k}.j2c', '-o', f'{{dir.Path}}/ojph{k}.{ext}'], check=True, capture_output=True)
                subprocess.run(['opj_decompress', '-i', f'{{dir.Path}}/f{k}.j2c', '-o', f'{{dir.Path}}/opj{k}.{ext}'], check=True, capture_output=True)
                streams.append(open(f'{{dir.Path}}/f{k}.j2c', 'rb').read())
                opj.append(read(f'{{dir.Path}}/opj{k}.{ext}'))
                ojph.append(read(f'{{dir.Path}}/ojph{k}.{ext}'))
            frames.astype('<i8').tofile('{{dir.Path}}/orig.raw')
            np.concatenate(opj).astype('<i8').tofile('{{dir.Path}}/opj.raw')
            np.concatenate(ojph).astype('<i8').tofile('{{dir.Path}}/ojph.raw')
            ds.file_meta.TransferSyntaxUID = '{{uid}}'
            ds.is_little_endian, ds.is_implicit_VR = True, False
            if not colour:
                ds.PixelRepresentation, ds.BitsStored, ds.HighBit = 0, 16, 15
            ds.PhotometricInterpretation = '{{photometric}}'
            {{damage}}
            ds.PixelData = encapsulate(streams, has_bot=True)
            ds['PixelData'].VR = 'OB'
            ds.save_as('{{file}}')
            """);
        return file;
    }

    static long[] Raw(TempDir dir, string name) => MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(dir.File(name))).ToArray();

    [Theory]
    [InlineData("rgb", "1.2.840.10008.1.2.4.201", "-reversible true", "YBR_RCT", true)]
    [InlineData("rgb", "1.2.840.10008.1.2.4.202", "-reversible true -prog_order RPCL -colour_trans false", "RGB", true)]
    [InlineData("MR_small.dcm", "1.2.840.10008.1.2.4.201", "-reversible true", "MONOCHROME2", true)]
    [InlineData("MR_small.dcm", "1.2.840.10008.1.2.4.203", "-qstep 0.001", "MONOCHROME2", false)]
    [InlineData("rgb", "1.2.840.10008.1.2.4.203", "-qstep 0.02", "YBR_ICT", false)]
    public void Htj2kFramesDecodeAsTheirEncoderAndOpenJpegDecodeThem(string source, string uid, string options, string photometric, bool lossless)
    {
        using var dir = new TempDir();
        string input = source == "rgb" ? dir.File("twin.dcm") : TestFile(source);
        if (source == "rgb") Dcmtk("dcmdrle", TestFile("SC_rgb_rle_2frame.dcm"), input);
        string file = Write(dir, input, uid, options, photometric);

        Assert.Equal(uid, DicomFile.Read(file, readPixels: false).TransferSyntax.Uid);
        var actual = DicomPixelData.From(DicomFile.Read(file)).StoredValues();
        Assert.Equal(Raw(dir, "opj.raw"), actual);
        var ojph = Raw(dir, "ojph.raw");
        Assert.Equal(ojph.Length, actual.Length);
        Assert.True(ojph.Zip(actual).All(p => Math.Abs(p.First - p.Second) <= 1), "differs from ojph_expand by more than 1");
        if (lossless)
        {
            Assert.Equal(Raw(dir, "orig.raw"), actual);
            Assert.Equal(ojph, actual);
        }
    }

    [Fact]
    public void DamagedHtj2kStreamGivesAFormatErrorNamingTheFile()
    {
        using var dir = new TempDir();
        string file = Write(dir, TestFile("MR_small.dcm"), "1.2.840.10008.1.2.4.201", "-reversible true", "MONOCHROME2",
            damage: "streams[0] = streams[0][:len(streams[0]) // 3]");
        AssertRefusedNamingTheFile(file, "cannot be decoded");
    }
}
