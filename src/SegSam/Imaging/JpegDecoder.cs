using BitMiracle.LibJpeg.Classic;

namespace SegSam.Imaging;

/// <summary>
/// Decodes 8-bit JPEGs (baseline, extended and progressive Huffman-coded; gray or 3-component
/// YCbCr/RGB; any whole-number chroma subsampling; restart intervals) to the values PIL gives,
/// and refuses truncated or corrupt files. Decoding is libjpeg's (BitMiracle.LibJpeg.NET, with
/// the islow IDCT that libjpeg-turbo also uses by default) with every warning made an error
/// (<see cref="JpegStrictErrors"/>); libjpeg hands over the components at their subsampled
/// size, and the upsampling and YCbCr → RGB conversion are libjpeg-turbo's
/// (<see cref="JpegUpsampler"/>), so the pixels equal PIL's exactly. Arithmetic-coded,
/// lossless, hierarchical, 12-bit and CMYK/YCCK JPEGs are refused as unsupported.
/// </summary>
public static class JpegDecoder
{
    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes is [0xFF, 0xD8, ..];

    /// <summary>Decodes a whole JPEG file's bytes to gray or RGB; <paramref name="source"/> names it in errors.</summary>
    public static RasterImage Decode(byte[] bytes, string source) => Decode(bytes, source, storesRgb: null);

    /// <summary>
    /// Like <see cref="Decode(byte[], string)"/>, but with <paramref name="storesRgb"/> set, a
    /// 3-component frame is taken as RGB (true) or YCbCr (false) whatever its markers say: DICOM
    /// states the colour model in its Photometric Interpretation, and dcmdjpeg follows that.
    /// </summary>
    internal static RasterImage Decode(byte[] bytes, string source, bool? storesRgb)
    {
        if (UnsupportedProcess(bytes) is { } unsupported) throw new InvalidDataException($"{source}: unsupported JPEG: {unsupported}");
        var errors = new JpegStrictErrors();
        var jpeg = new jpeg_decompress_struct(errors);
        var stage = Stage.Headers;
        try
        {
            jpeg.jpeg_stdio_src(new MemoryStream(bytes, writable: false));
            // Kept for the colour space, which is decided as libjpeg-turbo decides it (see Rgb).
            jpeg.jpeg_save_markers((int)JPEG_MARKER.APP0, JfifLength);
            jpeg.jpeg_save_markers((int)JPEG_MARKER.APP14, AdobeLength);
            jpeg.jpeg_read_header(true);
            if (errors.EndOfFile) throw new InvalidDataException($"{source}: {Truncated(stage, null, 0)}");
            var layout = Layout(jpeg, bytes.Length, source, storesRgb);
            jpeg.Raw_data_out = true;
            // Without fancy upsampling libjpeg 9 decodes every component with the plain 8×8 IDCT.
            jpeg.Do_fancy_upsampling = false;
            // A file of several scans (progressive) is read scan by scan, to restart each scan's
            // restart-interval count (see JpegRestartCounter), then decoded from its last scan.
            jpeg.Buffered_image = jpeg.jpeg_has_multiple_scans();
            stage = Stage.ImageData;
            jpeg.jpeg_start_decompress();
            if (jpeg.Buffered_image) ReadAllScans(jpeg, source);
            // Decoding the scans read so far would only show how much is missing.
            if (errors.EndOfFile) throw new InvalidDataException($"{source}: {Truncated(stage, null, jpeg.Input_scan_number)}");
            var planes = ReadPlanes(jpeg, layout);
            if (jpeg.Buffered_image) jpeg.jpeg_finish_output();
            stage = Stage.End;
            jpeg.jpeg_finish_decompress();
            if (errors.EndOfFile) throw new InvalidDataException($"{source}: {Truncated(stage, null, jpeg.Input_scan_number)}");
            return ToRaster(layout, planes);
        }
        catch (JpegStrictErrors.Stop stop)
        {
            string problem = errors.EndOfFile ? Truncated(stage, stop.Code, jpeg.Input_scan_number) : Describe(stop, stage, jpeg.Input_scan_number);
            throw new InvalidDataException($"{source}: {problem}", stop);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            // libjpeg's C# port indexes some tables before it checks the index (e.g. a DHT table
            // number above 3): such a crash is a corrupt header, reported as one.
            string problem = errors.EndOfFile ? Truncated(stage, null, jpeg.Input_scan_number)
                : $"corrupt JPEG: the decoder failed in {FailingMethod(e)} ({e.Message})";
            throw new InvalidDataException($"{source}: {problem}", e);
        }
    }

    /// <summary>The innermost libjpeg method on the exception's stack (not a runtime throw helper).</summary>
    static string FailingMethod(Exception e) =>
        new System.Diagnostics.StackTrace(e).GetFrames()
            .Select(frame => frame.GetMethod())
            .FirstOrDefault(method => method?.DeclaringType?.Namespace?.StartsWith("BitMiracle", StringComparison.Ordinal) == true)?.Name ?? "libjpeg";

    enum Stage { Headers, ImageData, End }

    // What libjpeg-turbo reads of the JFIF APP0 and the Adobe APP14 segments to decide the colour space.
    const int JfifLength = 14, AdobeLength = 12;

    /// <summary>
    /// Where a file that libjpeg read to its end was cut: in its headers, in the entropy-coded
    /// data of a scan (the decoder then ran out of data: <paramref name="stop"/> is
    /// JWRN_HIT_MARKER), or after the data of a scan, before the end-of-image marker.
    /// </summary>
    static string Truncated(Stage stage, J_MESSAGE_CODE? stop, int scan) =>
        stage == Stage.Headers ? "truncated JPEG: the file ends in its headers"
        : stop == J_MESSAGE_CODE.JWRN_HIT_MARKER ? $"truncated JPEG: the entropy-coded data ends before the last MCU (scan {scan})"
        : $"truncated JPEG: the file ends after scan {scan}, before its end-of-image (EOI) marker";

    /// <summary>The message for a libjpeg warning or error: a corruption in the image data names its scan.</summary>
    static string Describe(JpegStrictErrors.Stop stop, Stage stage, int scan)
    {
        if (stop.Code == J_MESSAGE_CODE.JERR_INPUT_EMPTY) return "truncated JPEG: the file is empty";
        string text = stop.Message;
        foreach (string prefix in new[] { "Corrupt JPEG data: ", "Warning: " })
            if (text.StartsWith(prefix, StringComparison.Ordinal)) text = text[prefix.Length..];
        text = char.ToLowerInvariant(text[0]) + text[1..];
        // libjpeg's "unsupported marker type" is damage (a marker code no JPEG uses), not a feature SegSam lacks.
        bool unsupported = text.StartsWith("unsupported JPEG", StringComparison.Ordinal) || text.StartsWith("unsupported color", StringComparison.Ordinal)
            || text.Contains("not implemented", StringComparison.OrdinalIgnoreCase);
        string where = stage == Stage.Headers || scan == 0 ? " in its headers" : $" in scan {scan}";
        return unsupported ? $"unsupported JPEG: {text}" : $"corrupt JPEG: {text}{where}";
    }

    /// <summary>
    /// The frame's process when SegSam cannot decode it, or null: walks the marker segments from
    /// SOI to the frame header (SOF). A file this walk cannot follow is left to libjpeg, which
    /// names what is wrong.
    /// </summary>
    static string? UnsupportedProcess(byte[] b)
    {
        int i = 2;
        while (i + 1 < b.Length && b[i] == 0xFF)
        {
            while (i + 1 < b.Length && b[i + 1] == 0xFF) i++; // fill bytes
            if (i + 4 > b.Length) return null;
            int marker = b[i + 1];
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                i += 2; // markers without a segment
                continue;
            }
            int length = (b[i + 2] << 8) | b[i + 3];
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                string? process = marker switch
                {
                    0xC3 => "lossless (SOF3)",
                    0xC5 or 0xC6 or 0xC7 => $"hierarchical (SOF{marker - 0xC0})",
                    >= 0xC9 => $"arithmetic-coded (SOF{marker - 0xC0})",
                    _ => null,
                };
                if (process is not null) return $"{process} JPEG is not supported (only Huffman-coded baseline, extended and progressive)";
                int precision = i + 4 < b.Length ? b[i + 4] : 8;
                return precision == 8 ? null : $"{precision}-bit samples are not supported (only 8-bit)";
            }
            if (marker is 0xDA or 0xD9 || length < 2) return null;
            i += 2 + length;
        }
        return null;
    }

    /// <summary>Each component's sampling and subsampled size, the colour model, after checks.</summary>
    sealed record FrameLayout(int Width, int Height, int MaxH, int MaxV, (int H, int V, int Width, int Height)[] Components, bool Rgb);

    static FrameLayout Layout(jpeg_decompress_struct jpeg, int fileLength, string source, bool? storesRgb)
    {
        int width = jpeg.Image_width, height = jpeg.Image_height, count = jpeg.Num_components;
        if (count is not (1 or 3))
            throw new InvalidDataException($"{source}: unsupported JPEG: {count} colour components (only gray or 3-component YCbCr/RGB; CMYK is not supported)");
        var info = jpeg.Comp_info;
        int maxH = info.Max(c => c.H_samp_factor), maxV = info.Max(c => c.V_samp_factor);
        var components = new (int H, int V, int Width, int Height)[count];
        long blocks = 0;
        for (int c = 0; c < count; c++)
        {
            int h = info[c].H_samp_factor, v = info[c].V_samp_factor;
            if (maxH % h != 0 || maxV % v != 0)
                throw new InvalidDataException($"{source}: unsupported JPEG: component {c + 1} samples {h}×{v} against {maxH}×{maxV} (not a whole ratio)");
            components[c] = (h, v, (int)(((long)width * h + maxH - 1) / maxH), (int)(((long)height * v + maxV - 1) / maxV));
            blocks += (components[c].Width + 7L) / 8 * ((components[c].Height + 7L) / 8);
        }
        // Every 8×8 block takes at least one bit (its DC code) in every scan that holds it, so a
        // frame of more blocks than the file has bits is damaged: refused here before libjpeg
        // allocates its buffers (progressive ones hold the whole image).
        if (blocks > 8L * fileLength || (long)width * height * count > Array.MaxLength)
            throw new InvalidDataException($"{source}: corrupt JPEG: a {width}×{height} frame needs more data than the {fileLength:N0}-byte file holds");
        return new FrameLayout(width, height, maxH, maxV, components, count == 3 && (storesRgb ?? Rgb(jpeg)));
    }

    /// <summary>
    /// Whether a 3-component JPEG holds RGB rather than YCbCr, decided as libjpeg-turbo does:
    /// a JFIF APP0 means YCbCr; else an Adobe APP14's transform (0: RGB); else the component
    /// ids 'R', 'G', 'B'. (libjpeg 9 weighs the ids first and so differs on some files.)
    /// </summary>
    static bool Rgb(jpeg_decompress_struct jpeg)
    {
        bool jfif = false;
        int? adobeTransform = null;
        foreach (var marker in jpeg.Marker_list)
        {
            var data = marker.Data;
            if (marker.Marker == (int)JPEG_MARKER.APP0 && data.Length >= JfifLength && data.AsSpan(0, 5).SequenceEqual("JFIF\0"u8))
                jfif = true;
            if (marker.Marker == (int)JPEG_MARKER.APP14 && data.Length >= AdobeLength && data.AsSpan(0, 5).SequenceEqual("Adobe"u8))
                adobeTransform = data[11];
        }
        if (jfif) return false;
        if (adobeTransform is { } transform) return transform == 0;
        var c = jpeg.Comp_info;
        return c[0].Component_id == 'R' && c[1].Component_id == 'G' && c[2].Component_id == 'B';
    }

    /// <summary>Takes in every scan up to the end-of-image marker and starts the output of the last.</summary>
    static void ReadAllScans(jpeg_decompress_struct jpeg, string source)
    {
        // The first scan's header was read with the file's headers.
        var result = ReadResult.JPEG_REACHED_SOS;
        for (; result != ReadResult.JPEG_REACHED_EOI; result = jpeg.jpeg_consume_input())
        {
            if (result == ReadResult.JPEG_REACHED_SOS && !JpegRestartCounter.Reset(jpeg))
                throw new InvalidDataException($"{source}: unsupported JPEG: this version of BitMiracle.LibJpeg.NET cannot be corrected for progressive scans");
            // The stream source never suspends: it reports the end of the file instead.
            if (result == ReadResult.JPEG_SUSPENDED) throw new InvalidOperationException("libjpeg suspended on a memory source");
        }
        jpeg.jpeg_start_output(jpeg.Input_scan_number);
    }

    /// <summary>Each component's samples at its subsampled size, read one iMCU row (8 × its vertical sampling rows) at a time.</summary>
    static byte[][] ReadPlanes(jpeg_decompress_struct jpeg, FrameLayout layout)
    {
        int count = layout.Components.Length;
        int mcuColumns = (layout.Width + 8 * layout.MaxH - 1) / (8 * layout.MaxH);
        int mcuRows = (layout.Height + 8 * layout.MaxV - 1) / (8 * layout.MaxV);
        var planes = new byte[count][];
        var buffer = new byte[count][][];
        for (int c = 0; c < count; c++)
        {
            var (h, v, w, ht) = layout.Components[c];
            planes[c] = new byte[w * ht];
            buffer[c] = new byte[8 * v][];
            for (int r = 0; r < buffer[c].Length; r++) buffer[c][r] = new byte[mcuColumns * h * 8];
        }
        for (int mcuRow = 0; mcuRow < mcuRows; mcuRow++)
        {
            // The stream source never suspends: it reports the end of the file instead.
            if (jpeg.jpeg_read_raw_data(buffer, 8 * layout.MaxV) == 0) throw new InvalidOperationException("libjpeg suspended on a memory source");
            for (int c = 0; c < count; c++)
            {
                var (_, _, w, ht) = layout.Components[c];
                int rows = buffer[c].Length;
                for (int r = 0; r < rows && mcuRow * rows + r < ht; r++)
                    Buffer.BlockCopy(buffer[c][r], 0, planes[c], (mcuRow * rows + r) * w, w);
            }
        }
        return planes;
    }

    static RasterImage ToRaster(FrameLayout layout, byte[][] planes)
    {
        int width = layout.Width, height = layout.Height, count = planes.Length;
        var full = new byte[count][];
        for (int c = 0; c < count; c++)
        {
            var (h, v, w, ht) = layout.Components[c];
            full[c] = JpegUpsampler.ToFullSize(planes[c], w, ht, layout.MaxH / h, layout.MaxV / v, width, height);
        }
        var data = new float[(long)width * height * count];
        if (count == 1)
            for (int i = 0; i < data.Length; i++) data[i] = full[0][i];
        else if (layout.Rgb)
            for (int i = 0, n = width * height; i < n; i++)
                for (int c = 0; c < 3; c++) data[3 * i + c] = full[c][i];
        else
            YccToRgb(full[0], full[1], full[2], data);
        return new RasterImage(height, width, count, data, isUInt8: true);
    }

    // libjpeg-turbo's jdcolor.c tables: 16-bit fixed point, x = Cb or Cr − 128.
    const int ScaleBits = 16, Half = 1 << (ScaleBits - 1);
    static int Fix(double x) => (int)(x * (1 << ScaleBits) + 0.5);
    static readonly int[] CrToR = Table(x => (Fix(1.40200) * x + Half) >> ScaleBits);
    static readonly int[] CbToB = Table(x => (Fix(1.77200) * x + Half) >> ScaleBits);
    static readonly int[] CrToG = Table(x => -Fix(0.71414) * x);
    static readonly int[] CbToG = Table(x => -Fix(0.34414) * x + Half);
    static int[] Table(Func<int, int> f) => Enumerable.Range(0, 256).Select(i => f(i - 128)).ToArray();

    /// <summary>libjpeg-turbo's ycc_rgb_convert: R = Y + 1.402 Cr, G = Y − 0.34414 Cb − 0.71414 Cr, B = Y + 1.772 Cb, clamped to 0–255.</summary>
    static void YccToRgb(byte[] y, byte[] cb, byte[] cr, float[] rgb)
    {
        for (int i = 0; i < y.Length; i++)
        {
            int luma = y[i];
            rgb[3 * i] = Math.Clamp(luma + CrToR[cr[i]], 0, 255);
            rgb[3 * i + 1] = Math.Clamp(luma + ((CbToG[cb[i]] + CrToG[cr[i]]) >> ScaleBits), 0, 255);
            rgb[3 * i + 2] = Math.Clamp(luma + CbToB[cb[i]], 0, 255);
        }
    }
}
