using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using JpegBlockOutputWriter = JpegLibrary.JpegBlockOutputWriter;

namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// JPEG frames (PS3.5 §8.2.1, ISO 10918-1) of the baseline, extended and lossless syntaxes.
/// 8-bit lossy frames go to the repo's <see cref="SegSam.Imaging.JpegDecoder"/> (libjpeg's islow
/// IDCT through BitMiracle.LibJpeg.NET), which gives exactly what dcmtk's dcmdjpeg (IJG) gives;
/// LibJpeg.NET has no 12-bit or lossless decoding, so 12-bit lossy (process 4) and lossless
/// (process 14) frames go to JpegLibrary. Its lossless output with predictor 1 (SV1, the
/// 1.2.840.10008.1.2.4.70 syntax most CT/MR archives use) equals dcmdjpeg's exactly; with
/// predictors 2, 3, 6 and 7 JpegLibrary 0.4.32 predicts the first row wrongly (measured on
/// dcmcjpeg +el +sv N of MR_small), so frames with any predictor but 1 go to the hand-written
/// <see cref="LosslessJpeg"/>. Its IDCT is not IJG's, so 12-bit lossy pixels can
/// differ from dcmdjpeg's by a few units (measured: at most 6 of 4095 on JPGExtended.dcm), within
/// the loss the lossy syntax already allows. Arithmetic-coded and hierarchical JPEGs are refused.
/// </summary>
internal static class JpegFrames
{
    public static byte[] Decode(byte[] frame, FrameLayout layout, Func<string, Exception> error)
    {
        var (marker, precision, height, width, components) = FrameHeader(frame, error);
        if (marker is 0xC5 or 0xC6 or 0xC7 or >= 0xC9)
            throw error($"{(marker >= 0xC9 ? "arithmetic-coded" : "hierarchical")} JPEG (SOF{marker - 0xC0}) is not supported");
        if (height != layout.Rows || width != layout.Columns || components != layout.Samples)
            throw error($"the JPEG frame is {width} × {height} with {components} component(s); the dataset says {layout.Columns} × {layout.Rows} with {layout.Samples}");
        if (precision > layout.BitsAllocated)
            throw error($"the JPEG frame has {precision}-bit samples, more than the {layout.BitsAllocated} bits allocated");
        bool lossless = marker == 0xC3;
        // libjpeg turns YCbCr into RGB for 8-bit lossy frames; the other paths give the stored components.
        if (!lossless && precision == 8) return EightBit(frame, layout, error);
        var decoded = lossless && FirstPredictor(frame) is int predictor and not 1
            ? LosslessJpeg.Decode(frame, layout, error)
            : WithJpegLibrary(frame, layout, precision, lossless, error);
        if (layout.Ybr)
        {
            if (layout.BytesPerSample != 1) throw error("YBR colour with more than 8 bits per sample is not supported");
            ColourSamples.YbrFullToRgb(decoded.AsSpan(0, (int)layout.FrameBytes));
        }
        return decoded;
    }

    /// <summary>The first Start Of Frame segment: its marker, sample precision, lines, samples per line and components.</summary>
    static (int Marker, int Precision, int Height, int Width, int Components) FrameHeader(byte[] b, Func<string, Exception> error)
    {
        if (b.Length < 2 || b[0] != 0xFF || b[1] != 0xD8) throw error("the frame does not start with a JPEG SOI marker");
        int i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF) throw error($"expected a JPEG marker at byte {i}");
            int marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; }           // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (length < 2 || i + 2 + length > b.Length) throw error($"JPEG segment FF{marker:X2} at byte {i} runs past the frame's {b.Length} bytes");
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                if (length < 8) throw error("the JPEG frame header is too short");
                return (marker, b[i + 4], BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 5)), BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 7)), b[i + 9]);
            }
            if (marker is 0xDA or 0xD9) break;
            i += 2 + length;
        }
        throw error("the JPEG stream has no frame header (SOF) before its first scan");
    }

    /// <summary>The predictor (Ss of the first Start Of Scan) of a lossless frame, or null when there is no scan header.</summary>
    static int? FirstPredictor(byte[] b)
    {
        int i = 2;
        while (i + 4 <= b.Length && b[i] == 0xFF)
        {
            int marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (marker == 0xDA)
            {
                int at = i + 5 + 2 * b[i + 4];
                return at < b.Length && at < i + 2 + length ? b[at] : null;
            }
            i += 2 + length;
        }
        return null;
    }

    /// <summary>
    /// An 8-bit lossy frame through <see cref="SegSam.Imaging.JpegDecoder"/>. A 3-component frame
    /// comes back as RGB. As dcmdjpeg's default (+cp, "convert if YCbCr photometric
    /// interpretation") does, the Photometric Interpretation decides, not the JFIF/Adobe markers:
    /// YBR_FULL(_422) is converted from YCbCr (chroma upsampled as libjpeg-turbo does), RGB is
    /// taken as stored. The two differ on SC_jpeg_no_color_transform*.dcm and
    /// SC_rgb_jpeg_lossy_gdcm.dcm, whose markers suggest YCbCr under an RGB label.
    /// </summary>
    static byte[] EightBit(byte[] frame, FrameLayout layout, Func<string, Exception> error)
    {
        RasterImage image;
        try
        {
            image = SegSam.Imaging.JpegDecoder.Decode(frame, "the JPEG stream", layout.Samples == 3 ? !layout.Ybr : null);
        }
        catch (InvalidDataException e)
        {
            throw error(e.Message);
        }
        if (image.Channels != layout.Samples) throw error($"the JPEG frame decodes to {image.Channels} channels, not {layout.Samples}");
        var output = new byte[layout.FrameBytes];
        for (int p = 0; p < image.Data.Length; p++)
        {
            int v = (int)image.Data[p];
            if (layout.BytesPerSample == 1) output[p] = (byte)v;
            else BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(p * layout.BytesPerSample), (ushort)v);
        }
        return output;
    }

    static byte[] WithJpegLibrary(byte[] frame, FrameLayout layout, int precision, bool lossless, Func<string, Exception> error)
    {
        if (layout.BytesPerSample is not (1 or 2)) throw error($"JPEG frames with {layout.BitsAllocated} bits allocated are not supported (8 or 16)");
        // The block writer below places every component at full size, which subsampled lossy colour is not.
        if (!lossless && layout.Samples != 1) throw error($"{precision}-bit colour JPEG (process 4) is not supported");
        var writer = new Writer(layout, lossless ? int.MaxValue : (1 << precision) - 1);
        try
        {
            var decoder = new JpegLibrary.JpegDecoder();
            decoder.SetInput(frame);
            decoder.Identify();
            decoder.SetOutputWriter(writer);
            decoder.Decode();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or NotSupportedException
                                  or ArgumentException or IndexOutOfRangeException or FormatException)
        {
            throw error($"the JPEG stream is corrupt or unsupported: {e.Message}");
        }
        return writer.Output;
    }

    /// <summary>
    /// Takes JpegLibrary's 8×8 blocks (level-shifted samples, or the lossless samples' bits) into
    /// native little-endian bytes; lossy samples are clamped to the precision's range as libjpeg does.
    /// </summary>
    sealed class Writer(FrameLayout layout, int max) : JpegBlockOutputWriter
    {
        public byte[] Output { get; } = new byte[layout.FrameBytes];

        public override void WriteBlock(ref short block, int componentIndex, int x, int y)
        {
            if ((uint)componentIndex >= (uint)layout.Samples) return;
            for (int r = 0; r < 8 && y + r < layout.Rows; r++)
                for (int c = 0; c < 8 && x + c < layout.Columns; c++)
                {
                    int v = Unsafe.Add(ref block, r * 8 + c);
                    v = max == int.MaxValue ? (ushort)v : Math.Clamp(v, 0, max);
                    long at = (((long)(y + r) * layout.Columns + x + c) * layout.Samples + componentIndex) * layout.BytesPerSample;
                    if (layout.BytesPerSample == 1) Output[at] = (byte)v;
                    else BinaryPrimitives.WriteUInt16LittleEndian(Output.AsSpan((int)at), (ushort)v);
                }
        }
    }
}
