using System.Buffers.Binary;
using SegSam.Imaging.Dicom.Codecs;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Grayscale pixel data of one file (PS3.5 §8, PS3.3 C.7.6.3), native or encapsulated in a
/// transfer syntax <see cref="PixelCodecs"/> decodes (each frame is decoded when the pixels are
/// taken, into native little-endian bytes): 1, 8, 16 or 32 bits allocated, unsigned or two's complement, one or more frames stored frame by frame,
/// each row by row. Stored values keep only the low Bits Stored bits and are sign-extended from
/// there for signed data, as pydicom ≥ 3 does. Only MONOCHROME1/MONOCHROME2 with one sample per
/// pixel is accepted: colour images (RGB, YBR, palette) are refused rather than turned to gray.
/// MONOCHROME1 values are not inverted: the rescaled values are the modality's (HU for CT), and
/// inversion is a display matter.
/// </summary>
public sealed class DicomPixelData
{
    readonly byte[] bytes;
    readonly bool bigEndian;
    readonly ulong mask;
    readonly ulong signBit;

    public int Rows { get; }
    public int Columns { get; }
    public int Frames { get; }
    public int BitsAllocated { get; }
    public int BitsStored { get; }
    public bool Signed { get; }
    public string PhotometricInterpretation { get; }
    public long PixelsPerFrame => (long)Rows * Columns;

    /// <summary>The stored sample type, e.g. "int16" (1-bit data is reported as "uint8").</summary>
    public string StoredType => (Signed ? "int" : "uint") + Math.Max(8, BitsAllocated);

    /// <summary>The image pixel attributes, checked.</summary>
    readonly record struct Layout(int Rows, int Columns, int Frames, int BitsAllocated, int BitsStored, bool Signed, string Photometric);

    DicomPixelData(DicomElement pixels, Layout layout, byte[]? decoded)
    {
        (Rows, Columns, Frames, BitsAllocated, BitsStored, Signed, PhotometricInterpretation) = layout;
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
        var frameLayout = new FrameLayout(layout.Rows, layout.Columns, 1, layout.BitsAllocated, layout.BitsStored, layout.Signed);
        long total = frameLayout.FrameBytes * layout.Frames;
        if (total > Array.MaxLength)
            throw new DicomFormatException(ds.Source, $"{layout.Frames} frames of {frameLayout.FrameBytes} bytes exceed the largest array .NET allows");
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
        if (samples != 1 || photometric is not ("MONOCHROME1" or "MONOCHROME2"))
            throw new DicomFormatException(path,
                $"is a colour image ({DicomTag.SamplesPerPixel.Describe()} {samples}, {DicomTag.PhotometricInterpretation.Describe()} {photometric}); " +
                "only grayscale MONOCHROME1/MONOCHROME2 images are supported");
        if (bitsAllocated is not (1 or 8 or 16 or 32))
            throw new DicomFormatException(path, $"{DicomTag.BitsAllocated.Describe()} {bitsAllocated} is not supported (1, 8, 16 or 32)");
        if (bitsStored < 1 || bitsStored > bitsAllocated)
            throw new DicomFormatException(path, $"{DicomTag.BitsStored.Describe()} {bitsStored} does not fit in {bitsAllocated} bits allocated");
        if (representation is not (0 or 1))
            throw new DicomFormatException(path, $"{DicomTag.PixelRepresentation.Describe()} is {representation}, expected 0 (unsigned) or 1 (signed)");

        if (encapsulated && bitsAllocated == 1)
            throw new DicomFormatException(path, $"compressed pixel data with {DicomTag.BitsAllocated.Describe()} 1 is not supported");
        // Compressed frames are checked for size as they are decoded.
        if (encapsulated) return new Layout(rows, columns, frames, bitsAllocated, bitsStored, representation == 1, photometric);

        long samplesNeeded = (long)rows * columns * frames;
        long bytesNeeded = bitsAllocated == 1 ? (samplesNeeded + 7) / 8 : samplesNeeded * (bitsAllocated / 8);
        if (pixels.Length < bytesNeeded)
            throw new DicomFormatException(path,
                $"Pixel Data has {pixels.Length} bytes, fewer than the {bytesNeeded} that Rows × Columns × frames × bytes per pixel = " +
                $"{rows} × {columns} × {frames} × {(bitsAllocated == 1 ? "1/8" : (bitsAllocated / 8).ToString())} needs; the file is truncated");
        return new Layout(rows, columns, frames, bitsAllocated, bitsStored, representation == 1, photometric);
    }

    /// <summary>The stored value of sample <paramref name="index"/> (frame-major, then row-major).</summary>
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

    /// <summary>All stored values, frame after frame, each row-major.</summary>
    public long[] StoredValues()
    {
        var values = new long[PixelsPerFrame * Frames];
        for (long i = 0; i < values.LongLength; i++) values[i] = StoredValue(i);
        return values;
    }

    /// <summary>Writes frame <paramref name="frame"/> as stored × slope + intercept (computed in double, then rounded to float).</summary>
    public void CopyFrame(int frame, Span<float> destination, double slope, double intercept)
    {
        if ((uint)frame >= (uint)Frames) throw new ArgumentOutOfRangeException(nameof(frame));
        if (destination.Length != PixelsPerFrame) throw new ArgumentException($"destination holds {destination.Length} values, a frame {PixelsPerFrame}");
        long first = frame * PixelsPerFrame;
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(StoredValue(first + i) * slope + intercept);
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

    static int Required(DicomDataset ds, DicomTag tag, int? value) =>
        value ?? throw new DicomFormatException(ds.Source, $"has Pixel Data but no {tag.Describe()}");
}
