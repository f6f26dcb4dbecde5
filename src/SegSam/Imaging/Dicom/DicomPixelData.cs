using System.Buffers.Binary;
using SegSam.Imaging.Dicom.Codecs;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Pixel data of one file (PS3.5 §8, PS3.3 C.7.6.3), native or encapsulated in a
/// transfer syntax <see cref="PixelCodecs"/> decodes (each frame is decoded when the pixels are
/// taken, into native little-endian bytes): 1, 8, 16 or 32 bits allocated, unsigned or two's complement, one or more frames stored frame by frame,
/// each row by row. Stored values keep only the low Bits Stored bits and are sign-extended from
/// there for signed data, as pydicom ≥ 3 does. MONOCHROME1 values are not inverted: the rescaled
/// values are the modality's (HU for CT), and inversion is a display matter.
/// Colour images (3 samples per pixel: RGB, YBR_FULL, YBR_FULL_422 native or in JPEG, YBR_RCT/YBR_ICT in
/// JPEG 2000) are kept as RGB, samples interleaved whatever the Planar Configuration; YBR is
/// turned to RGB as dcmdjpeg and pydicom do. <see cref="CopyFrame"/> gives gray values from them
/// with the rule SegSam uses for every colour picture (<see cref="MedicalImage.LumaOf"/>).
/// PALETTE COLOR and the other colour models are refused.
/// The decoded size is capped before anything is allocated: <see cref="MaxDecodedBytes"/> per file.
/// </summary>
public sealed class DicomPixelData
{
    readonly byte[] bytes;
    readonly bool bigEndian;
    readonly ulong mask;
    readonly ulong signBit;

    /// <summary>
    /// The most decoded pixel bytes (Rows × Columns × Samples per Pixel × Bits Allocated / 8 ×
    /// frames) one file may declare: 1 GiB, the same bound as the deflated transfer syntax's. It is
    /// checked from the header, before any allocation, so that a small compressed stream cannot
    /// make the reader allocate gigabytes (a compression bomb).
    /// </summary>
    public const long MaxDecodedBytes = 1L << 30;

    /// <summary>
    /// The largest volume a series may make: 4 GiB of float32 voxels (2^30 voxels, e.g. 2048
    /// slices of 512 × 1024), checked from the headers of all its files before any pixels are
    /// read; below .NET's largest array of floats (8 GiB).
    /// </summary>
    public const long MaxVolumeBytes = 4L << 30;

    public int Rows { get; }
    public int Columns { get; }
    public int Frames { get; }
    /// <summary>1 for grayscale, 3 for colour (kept as interleaved R, G, B).</summary>
    public int SamplesPerPixel { get; }
    public int BitsAllocated { get; }
    public int BitsStored { get; }
    public bool Signed { get; }
    public string PhotometricInterpretation { get; }
    public long PixelsPerFrame => (long)Rows * Columns;

    /// <summary>The stored sample type, e.g. "int16" (1-bit data is reported as "uint8").</summary>
    public string StoredType => (Signed ? "int" : "uint") + Math.Max(8, BitsAllocated);

    /// <summary>The image pixel attributes, checked.</summary>
    readonly record struct Layout(int Rows, int Columns, int Frames, int Samples, bool Planar, int BitsAllocated, int BitsStored, bool Signed, string Photometric)
    {
        public FrameLayout Frame => new(Rows, Columns, Samples, BitsAllocated, BitsStored, Signed, Planar, Photometric == "YBR_FULL" || Photometric == "YBR_FULL_422");
    }

    DicomPixelData(DicomElement pixels, Layout layout, byte[]? decoded)
    {
        (Rows, Columns, Frames, SamplesPerPixel, _, BitsAllocated, BitsStored, Signed, PhotometricInterpretation) = layout;
        bigEndian = decoded is null && pixels.BigEndian;
        mask = (1UL << BitsStored) - 1;
        signBit = 1UL << (BitsStored - 1);
        bytes = decoded ?? pixels.Bytes;
        // OW is a stream of 16-bit words, so big-endian OW holding bytes or bits has each pair swapped.
        if (bigEndian && pixels.Vr == "OW" && BitsAllocated <= 8)
        {
            bytes = (byte[])bytes.Clone();
            for (int i = 0; i + 1 < bytes.Length; i += 2) (bytes[i], bytes[i + 1]) = (bytes[i + 1], bytes[i]);
        }
        // Decoders hand over RGB, interleaved; native colour is brought to the same form here.
        if (decoded is null && SamplesPerPixel > 1)
        {
            var frame = layout.Frame;
            long used = frame.FrameBytes * Frames;
            if (layout.Photometric == "YBR_FULL_422") bytes = ColourSamples.Expand422(bytes.AsSpan(0, (int)(used / 3 * 2)));
            if (frame.Planar) bytes = ColourSamples.Interleave(bytes.AsSpan(0, (int)used), PixelsPerFrame, Frames, SamplesPerPixel, frame.BytesPerSample);
            if (frame.Ybr)
            {
                if (ReferenceEquals(bytes, pixels.Bytes)) bytes = bytes[..(int)used];
                ColourSamples.YbrFullToRgb(bytes.AsSpan(0, (int)used));
            }
        }
    }

    /// <summary>The decodable pixel data of a dataset read with its pixels; see <see cref="Validate"/> for the checks.</summary>
    public static DicomPixelData From(DicomDataset ds)
    {
        var layout = Check(ds, out var pixels);
        if (!pixels.IsLoaded || (pixels.IsEncapsulated && pixels.Fragments is null))
            throw new InvalidOperationException($"{ds.Source}: the pixel data was not read; use DicomFile.Read(path, readPixels: true)");
        return new DicomPixelData(pixels, layout, pixels.IsEncapsulated ? Decode(ds, pixels.Fragments!, layout) : null);
    }

    /// <summary>
    /// Every frame decoded, one after another, as native little-endian bytes. The first frame is
    /// decoded before the buffer for all is allocated, so a header whose size does not match the
    /// compressed stream (each decoder checks it, RLE by its largest possible expansion) is
    /// refused before a large allocation.
    /// </summary>
    static byte[] Decode(DicomDataset ds, IReadOnlyList<byte[]> fragments, Layout layout)
    {
        var frames = EncapsulatedFrames.Split(ds, fragments, layout.Frames);
        var frameLayout = layout.Frame;
        long total = frameLayout.FrameBytes * layout.Frames;   // at most MaxDecodedBytes (checked in Check)
        var first = PixelCodecs.DecodeFrame(ds.Source, ds.TransferSyntax, frames[0], 0, frames.Length, frameLayout);
        var bytes = new byte[total];
        for (int f = 0; f < frames.Length; f++)
        {
            var decoded = f == 0 ? first : PixelCodecs.DecodeFrame(ds.Source, ds.TransferSyntax, frames[f], f, frames.Length, frameLayout);
            decoded.AsSpan(0, (int)frameLayout.FrameBytes).CopyTo(bytes.AsSpan((int)(f * frameLayout.FrameBytes)));
        }
        return bytes;
    }

    /// <summary>
    /// Checks, from the header alone (pixels need not be loaded), that the image is grayscale with
    /// supported bit depths, in a transfer syntax this reader decodes, and (native data) that its
    /// Pixel Data holds every frame.
    /// </summary>
    public static void Validate(DicomDataset ds) => Check(ds, out _);

    static Layout Check(DicomDataset ds, out DicomElement pixels)
    {
        string path = ds.Source;
        pixels = ds.Find(DicomTag.PixelData)
            ?? throw new DicomFormatException(path, $"has no {DicomTag.PixelData.Describe()} element (modality {ds.Modality ?? "unknown"}); it is not an image");
        bool encapsulated = ds.TransferSyntax.Encapsulated;
        if (encapsulated && !PixelCodecs.CanDecode(ds.TransferSyntax)) throw new UnsupportedTransferSyntaxException(path, ds.TransferSyntax);
        if (encapsulated && !pixels.IsEncapsulated)
            throw new DicomFormatException(path, $"Pixel Data is not encapsulated although the transfer syntax {ds.TransferSyntax} is compressed");
        if (!encapsulated && pixels.IsEncapsulated)
            throw new DicomFormatException(path, $"Pixel Data is encapsulated (compressed) although the transfer syntax {ds.TransferSyntax} is uncompressed");

        int rows = Required(ds, DicomTag.Rows, ds.Rows);
        int columns = Required(ds, DicomTag.Columns, ds.Columns);
        int bitsAllocated = Required(ds, DicomTag.BitsAllocated, ds.BitsAllocated);
        int bitsStored = ds.BitsStored ?? bitsAllocated;
        int representation = ds.PixelRepresentation ?? 0;
        int samples = ds.SamplesPerPixel ?? 1;
        string photometric = ds.PhotometricInterpretation ?? "MONOCHROME2";
        int frames = ds.NumberOfFrames;

        if (rows < 1 || columns < 1) throw new DicomFormatException(path, $"image size is {rows} rows × {columns} columns");
        if (frames < 1) throw new DicomFormatException(path, $"{DicomTag.NumberOfFrames.Describe()} is {frames}");
        int planar = ds.PlanarConfiguration ?? 0;
        CheckColourModel(ds, samples, photometric, bitsAllocated, planar, columns);
        if (bitsAllocated is not (1 or 8 or 16 or 32))
            throw new DicomFormatException(path, $"{DicomTag.BitsAllocated.Describe()} {bitsAllocated} is not supported (1, 8, 16 or 32)");
        if (bitsStored < 1 || bitsStored > bitsAllocated)
            throw new DicomFormatException(path, $"{DicomTag.BitsStored.Describe()} {bitsStored} does not fit in {bitsAllocated} bits allocated");
        if (representation is not (0 or 1))
            throw new DicomFormatException(path, $"{DicomTag.PixelRepresentation.Describe()} is {representation}, expected 0 (unsigned) or 1 (signed)");

        if (encapsulated && bitsAllocated == 1)
            throw new DicomFormatException(path, $"compressed pixel data with {DicomTag.BitsAllocated.Describe()} 1 is not supported");
        var layout = new Layout(rows, columns, frames, samples, planar == 1, bitsAllocated, bitsStored, representation == 1, photometric);

        // Rows, Columns ≤ 65535 and frames < 2^31, so this product cannot overflow.
        long samplesNeeded = (long)rows * columns * samples * frames;
        long bytesNeeded = bitsAllocated == 1 ? (samplesNeeded + 7) / 8 : samplesNeeded * (bitsAllocated / 8);
        if (bytesNeeded > MaxDecodedBytes)
            throw new DicomFormatException(path,
                $"declares {rows} rows × {columns} columns × {samples} sample(s) × {frames} frame(s) × {Math.Max(1, bitsAllocated / 8)} byte(s) = " +
                $"{bytesNeeded:N0} bytes of pixels, more than the {MaxDecodedBytes:N0} bytes (1 GiB) this reader decodes from one file");
        // Compressed frames are checked for size as they are decoded.
        if (encapsulated) return layout;

        // Native YBR_FULL_422 stores two bytes per pixel (PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr per pixel pair).
        if (photometric == "YBR_FULL_422") bytesNeeded = bytesNeeded / 3 * 2;
        if (pixels.Length < bytesNeeded)
            throw new DicomFormatException(path,
                $"Pixel Data has {pixels.Length} bytes, fewer than the {bytesNeeded} that Rows × Columns × frames × bytes per pixel = " +
                $"{rows} × {columns} × {frames} × {(bitsAllocated == 1 ? "1/8" : (samples * bitsAllocated / 8).ToString())} needs; the file is truncated");
        return layout;
    }

    /// <summary>The stored value of sample <paramref name="index"/> (frame-major, then row-major, then R, G, B for colour).</summary>
    public long StoredValue(long index)
    {
        ulong raw = BitsAllocated switch
        {
            8 => bytes[index],
            16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(Sample(index, 2)) : BinaryPrimitives.ReadUInt16LittleEndian(Sample(index, 2)),
            32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(Sample(index, 4)) : BinaryPrimitives.ReadUInt32LittleEndian(Sample(index, 4)),
            // Bit-packed (1 bit allocated): pixel n is bit n % 8 of byte n / 8, least significant first.
            _ => (ulong)(bytes[index >> 3] >> (int)(index & 7)) & 1,
        };
        return Extend(raw);
    }

    ReadOnlySpan<byte> Sample(long index, int size) => bytes.AsSpan(checked((int)(index * size)), size);

    /// <summary>Keeps the low Bits Stored bits, sign-extended for signed data.</summary>
    long Extend(ulong raw)
    {
        raw &= mask;
        return Signed && (raw & signBit) != 0 ? (long)raw - (long)(signBit << 1) : (long)raw;
    }

    /// <summary>All stored values, frame after frame, each row-major (R, G, B of each pixel in turn for colour).</summary>
    public long[] StoredValues()
    {
        var values = new long[PixelsPerFrame * SamplesPerPixel * Frames];
        for (long i = 0; i < values.LongLength; i++) values[i] = StoredValue(i);
        return values;
    }

    /// <summary>
    /// Writes frame <paramref name="frame"/> as stored × slope + intercept (computed in double,
    /// then rounded to float). A colour frame gives one gray value per pixel: the luma of its
    /// R, G, B (<see cref="MedicalImage.LumaOf"/>, the rule of PNG and JPEG pictures), then rescaled.
    /// </summary>
    public void CopyFrame(int frame, Span<float> destination, double slope, double intercept)
    {
        if ((uint)frame >= (uint)Frames) throw new ArgumentOutOfRangeException(nameof(frame));
        if (destination.Length != PixelsPerFrame) throw new ArgumentException($"destination holds {destination.Length} values, a frame {PixelsPerFrame}");
        long first = frame * PixelsPerFrame * SamplesPerPixel;
        if (SamplesPerPixel == 1)
            for (int i = 0; i < destination.Length; i++) destination[i] = (float)(StoredValue(first + i) * slope + intercept);
        else
            for (int i = 0; i < destination.Length; i++)
            {
                long at = first + 3L * i;
                double gray = MedicalImage.LumaOf(StoredValue(at), StoredValue(at + 1), StoredValue(at + 2));
                destination[i] = (float)(gray * slope + intercept);
            }
    }

    /// <summary>All frames with each frame's modality rescale (Rescale Slope/Intercept) applied.</summary>
    public static float[] RescaledValues(DicomDataset ds)
    {
        var pixels = From(ds);
        var frames = DicomFrame.Describe(ds);
        var values = new float[pixels.PixelsPerFrame * pixels.Frames];
        for (int f = 0; f < pixels.Frames; f++)
            pixels.CopyFrame(f, values.AsSpan(checked((int)(f * pixels.PixelsPerFrame)), (int)pixels.PixelsPerFrame),
                frames[f].RescaleSlope, frames[f].RescaleIntercept);
        return values;
    }

    /// <summary>
    /// The colour models this reader takes (PS3.3 C.7.6.3.1.2): MONOCHROME1/2 with one sample;
    /// with three, RGB (8, 16 or 32 bits), YBR_FULL (8 bits), YBR_FULL_422 native (8 bits, its
    /// chroma repeated for both pixels of a pair) or inside lossy JPEG (whose decoder upsamples the chroma) and YBR_RCT/YBR_ICT only in JPEG 2000 (whose
    /// decoder inverts the component transform). Everything else is refused by name.
    /// </summary>
    static void CheckColourModel(DicomDataset ds, int samples, string photometric, int bitsAllocated, int planar, int columns)
    {
        string path = ds.Source;
        string uid = ds.TransferSyntax.Uid;
        string what = $"{DicomTag.SamplesPerPixel.Describe()} {samples}, {DicomTag.PhotometricInterpretation.Describe()} {photometric}";
        if (photometric is "MONOCHROME1" or "MONOCHROME2")
        {
            if (samples != 1) throw new DicomFormatException(path, $"has {what}; a grayscale image has one sample per pixel");
            return;
        }
        if (photometric == "PALETTE COLOR")
            throw new DicomFormatException(path, $"is a PALETTE COLOR image ({what}); palette (lookup-table) colour is not supported, only grayscale, RGB and YBR_FULL");
        bool jpegLossy = uid is PixelCodecs.JpegBaseline or PixelCodecs.JpegExtended;
        bool jpeg2000 = PixelCodecs.IsJpeg2000(uid);
        bool known = photometric switch
        {
            "RGB" => true,
            "YBR_FULL" => bitsAllocated == 8,
            "YBR_FULL_422" => jpegLossy || (!ds.TransferSyntax.Encapsulated && bitsAllocated == 8),
            "YBR_RCT" or "YBR_ICT" => jpeg2000,
            _ => false,
        };
        if (!known)
            throw new DicomFormatException(path,
                $"has {what} with {bitsAllocated} bits allocated in {ds.TransferSyntax.Name}; supported colour images are RGB, 8-bit YBR_FULL, " +
                "YBR_FULL_422 native (8-bit) or in lossy JPEG, and YBR_RCT/YBR_ICT in JPEG 2000");
        if (samples != 3) throw new DicomFormatException(path, $"has {what}; a colour image has three samples per pixel");
        if (bitsAllocated == 1) throw new DicomFormatException(path, $"has {what} with {DicomTag.BitsAllocated.Describe()} 1");
        if (planar is not (0 or 1))
            throw new DicomFormatException(path, $"{DicomTag.PlanarConfiguration.Describe()} is {planar}, expected 0 (colour by pixel) or 1 (colour by plane)");
        if (photometric == "YBR_FULL_422" && !ds.TransferSyntax.Encapsulated && (planar != 0 || columns % 2 != 0))
            throw new DicomFormatException(path, $"has native {what} with {DicomTag.PlanarConfiguration.Describe()} {planar} and {columns} columns; " +
                "4:2:2 data needs colour by pixel (0) and an even number of columns");
    }

    static int Required(DicomDataset ds, DicomTag tag, int? value) =>
        value ?? throw new DicomFormatException(ds.Source, $"has Pixel Data but no {tag.Describe()}");
}
