using SegSam.Imaging;

namespace SegSam.Tests.Imaging;

/// <summary>
/// JPEGs, BMPs and PNGs written by PIL (a few BMPs by hand), each with PIL's decoded values in
/// NAME.npy (H×W×C) and its file in the manifest; see <see cref="PictureScripts.Write"/>.
/// </summary>
public sealed class PictureFiles() : PythonReferenceFiles(PictureScripts.Write)
{
    public string PathOf(string name) => Case(name).GetString()!;

    /// <summary>Asserts that the case decodes to PIL's values.</summary>
    public void AssertDecodesLikePil(string name) => AssertEqualsPil(RasterImage.Load(PathOf(name)), File(name + ".npy"), name);

    /// <summary>Asserts that <paramref name="image"/> has the shape and exactly the byte values of PIL's array in <paramref name="npyPath"/>.</summary>
    public static void AssertEqualsPil(RasterImage image, string npyPath, string name)
    {
        var expected = NpyFile.Read(npyPath);
        Assert.Equal(expected.Shape, new long[] { image.Height, image.Width, image.Channels });
        Assert.True(image.IsUInt8, name);
        Assert.True(expected.ToFloat32().SequenceEqual(image.Data), $"{name}: values differ from PIL's");
    }
}

static class PictureScripts
{
    /// <summary>The picture cases; a reference is PIL's array of the file, gray as one channel.</summary>
    public const string Write = """
        import sys, os, json, struct
        import numpy as np
        from PIL import Image

        out = sys.argv[1]
        rng = np.random.default_rng(17)
        manifest = {}

        def photo(h, w, channels):
            # Smooth gradients with noise: chroma that subsampling and upsampling really change.
            yy, xx = np.mgrid[0:h, 0:w]
            base = np.stack([xx * 255 / w, yy * 255 / h, 128 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0)], -1)
            a = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
            return a[:, :, 0] if channels == 1 else a

        def reference(name, file, mode=None):
            image = Image.open(file)
            a = np.array(image.convert(mode) if mode else image)
            if a.ndim == 2: a = a[:, :, None]
            np.save(os.path.join(out, name + '.npy'), a.astype(np.float32))
            manifest[name] = file

        def jpeg(name, pixels, **save):
            file = os.path.join(out, name + '.jpg')
            save.setdefault('quality', 90)
            Image.fromarray(pixels).save(file, **save)
            reference(name, file)

        jpeg('jpeg_gray', photo(64, 64, 1))
        jpeg('jpeg_gray_odd', photo(37, 53, 1))
        jpeg('jpeg_rgb444', photo(37, 53, 3), subsampling=0)
        jpeg('jpeg_rgb422', photo(37, 53, 3), subsampling=1)
        jpeg('jpeg_rgb420', photo(37, 53, 3), subsampling=2)
        jpeg('jpeg_rgb420_narrow', photo(9, 3, 3), subsampling=2)   # chroma 2 samples wide: replicated, not filtered
        jpeg('jpeg_rgb422_5x5', photo(5, 5, 3), subsampling=1)
        jpeg('jpeg_rgb_1x1', photo(1, 1, 3))
        jpeg('jpeg_progressive', photo(45, 61, 3), progressive=True)
        jpeg('jpeg_progressive_gray', photo(45, 61, 1), progressive=True)
        jpeg('jpeg_optimized', photo(40, 40, 3), optimize=True)
        jpeg('jpeg_q100', photo(33, 29, 3), quality=100)
        exif = Image.Exif()
        exif[0x010F] = 'SegSam test'
        jpeg('jpeg_app_segments', photo(30, 30, 3), exif=exif.tobytes(), icc_profile=bytes(range(256)) * 2, comment=b'APPn and COM segments')
        # Small ones for the sweeps over every cut and many flipped bytes.
        jpeg('small_jpeg_gray', photo(16, 24, 1))
        jpeg('small_jpeg_rgb420', photo(16, 24, 3), subsampling=2)
        jpeg('small_jpeg_progressive', photo(16, 24, 3), progressive=True)
        Image.fromarray(photo(16, 24, 3)).convert('CMYK').save(os.path.join(out, 'jpeg_cmyk.jpg'))

        def bmp(name, pixels, mode=None):
            file = os.path.join(out, name + '.bmp')
            Image.fromarray(pixels, mode).save(file)
            return file

        def hand_bmp(name, w, h, bits, rows, palette=b'', compression=0, header=40, masks=b'', top_down=False):
            # rows: the packed pixel bytes of each row, top row first.
            stride = ((w * bits + 31) // 32) * 4
            data = b''.join(r.ljust(stride, b'\0') for r in (rows if top_down else rows[::-1]))
            info = struct.pack('<IiiHHIIiiII', header, w, -h if top_down else h, 1, bits, compression, len(data), 2835, 2835, len(palette) // 4, 0)
            info = (info + masks).ljust(header, b'\0') if header > 40 else info + masks
            offset = 14 + len(info) + len(palette)
            file = os.path.join(out, name + '.bmp')
            with open(file, 'wb') as f:
                f.write(b'BM' + struct.pack('<IHHI', offset + len(data), 0, 0, offset) + info + palette + data)
            return file

        H, W = 7, 9
        gray, rgb = rng.integers(0, 256, (H, W), dtype=np.uint8), rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        reference('bmp_gray8', bmp('bmp_gray8', gray), 'L')
        palette = Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8), 'P')
        palette.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
        palette.save(os.path.join(out, 'bmp_palette8.bmp'))
        reference('bmp_palette8', os.path.join(out, 'bmp_palette8.bmp'), 'RGB')
        Image.fromarray(rng.integers(0, 2, (H, W), dtype=np.uint8) * 255).convert('1').save(os.path.join(out, 'bmp_1bit.bmp'))
        reference('bmp_1bit', os.path.join(out, 'bmp_1bit.bmp'), 'L')
        reference('bmp_rgb24', bmp('bmp_rgb24', rgb), 'RGB')
        reference('bmp_rgba32', bmp('bmp_rgba32', rng.integers(0, 256, (H, W, 4), dtype=np.uint8), 'RGBA'), 'RGB')
        reference('bmp_rgb24_top_down', hand_bmp('bmp_rgb24_top_down', W, H, 24, [r[:, ::-1].tobytes() for r in rgb], top_down=True), 'RGB')
        gray_palette = bytes(sum(([v, v, v, 0] for v in range(256)), []))
        reference('bmp_gray8_top_down', hand_bmp('bmp_gray8_top_down', W, H, 8, [r.tobytes() for r in gray], palette=gray_palette, top_down=True), 'L')
        palette4 = bytes(rng.integers(0, 256, 64, dtype=np.uint8))
        nibbles = rng.integers(0, 16, (H, W + 1), dtype=np.uint8)
        reference('bmp_palette4', hand_bmp('bmp_palette4', W, H, 4, [(r[0::2] << 4 | r[1::2]).tobytes() for r in nibbles], palette=palette4), 'RGB')
        bgra = np.concatenate([rgb[:, :, ::-1], rng.integers(0, 256, (H, W, 1), dtype=np.uint8)], -1)
        reference('bmp_bitfields32_v5', hand_bmp('bmp_bitfields32_v5', W, H, 32, [r.tobytes() for r in bgra], compression=3, header=124,
                                                 masks=struct.pack('<IIII', 0xff0000, 0xff00, 0xff, 0xff000000)), 'RGB')
        rgb565 = (rgb[:, :, 0].astype(np.uint16) >> 3 << 11) | (rgb[:, :, 1].astype(np.uint16) >> 2 << 5) | (rgb[:, :, 2].astype(np.uint16) >> 3)
        reference('bmp_rgb565', hand_bmp('bmp_rgb565', W, H, 16, [r.astype('<u2').tobytes() for r in rgb565], compression=3,
                                         masks=struct.pack('<III', 0xf800, 0x7e0, 0x1f)), 'RGB')

        for name, pixels in [('small_png_gray', rng.integers(0, 256, (9, 13), dtype=np.uint8)), ('small_png_rgb', rng.integers(0, 256, (9, 13, 3), dtype=np.uint8))]:
            Image.fromarray(pixels).save(os.path.join(out, name + '.png'))
            reference(name, os.path.join(out, name + '.png'))

        with open(os.path.join(out, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
        """;
}
