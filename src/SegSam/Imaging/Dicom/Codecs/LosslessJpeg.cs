namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// Lossless JPEG (ISO 10918-1 process 14, Annex H), one component, Huffman-coded, every
/// predictor 1–7 and point transform, restart intervals of whole rows. Written here because
/// neither JpegLibrary 0.4.32 (wrong first row for predictors 2, 3, 6, 7) nor LibJpeg.NET (no
/// lossless) decodes it correctly. Every segment length and Huffman table is checked; reading past
/// the scan's data is an error rather than a stream of zeros.
/// </summary>
internal static class LosslessJpeg
{
    sealed class Huffman
    {
        // Canonical decoding tables (T.81 F.2.2.3): per code length, the largest code and where its values start.
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValueOffset = new int[17];
        public byte[] Values = [];
    }

    public static byte[] Decode(byte[] b, FrameLayout layout, Func<string, Exception> error)
    {
        if (layout.Samples != 1) throw error("colour lossless JPEG frames are not decoded here");
        var tables = new Huffman?[4];
        int precision = 0, restart = 0, i = 2;
        bool frame = false;
        while (true)
        {
            if (i + 4 > b.Length) throw error("the lossless JPEG stream ends before its scan");
            if (b[i] != 0xFF) throw error($"expected a JPEG marker at byte {i}");
            int marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; }
            int length = (b[i + 2] << 8) | b[i + 3];
            int start = i + 4, end = i + 2 + length;
            if (length < 2 || end > b.Length) throw error($"JPEG segment FF{marker:X2} at byte {i} runs past the frame's {b.Length} bytes");
            switch (marker)
            {
                case 0xC3:
                    if (length < 11 || b[start + 5] != 1) throw error("the lossless JPEG frame header must describe exactly one component");
                    precision = b[start];
                    int height = (b[start + 1] << 8) | b[start + 2], width = (b[start + 3] << 8) | b[start + 4];
                    if (width != layout.Columns || height != layout.Rows)
                        throw error($"the JPEG frame is {width} × {height}; the dataset says {layout.Columns} × {layout.Rows}");
                    if (precision < 2 || precision > 16 || precision > layout.BitsAllocated)
                        throw error($"the lossless JPEG frame has {precision}-bit samples; the dataset allocates {layout.BitsAllocated} bits");
                    frame = true;
                    break;
                case 0xC4:
                    for (int at = start; at < end;)
                    {
                        if (at + 17 > end) throw error("a Huffman table segment is truncated");
                        int id = b[at] & 0x0F;
                        if (b[at] >> 4 != 0 || id > 3) throw error($"Huffman table class/id 0x{b[at]:X2} is not a lossless DC table 0–3");
                        var table = new Huffman();
                        int count = 0, code = 0;
                        for (int len = 1; len <= 16; len++)
                        {
                            int n = b[at + len];
                            table.ValueOffset[len] = count - code;
                            code += n;
                            count += n;
                            table.MaxCode[len] = n == 0 ? -1 : code - 1;
                            if (code > 1 << len) throw error("a Huffman table has more codes than its lengths allow");
                            code <<= 1;
                        }
                        table.MaxCode[17] = int.MaxValue;
                        if (at + 17 + count > end || count > 17) throw error("a Huffman table's values are truncated or too many");
                        table.Values = b[(at + 17)..(at + 17 + count)];
                        tables[id] = table;
                        at += 17 + count;
                    }
                    break;
                case 0xDD:
                    if (length != 4) throw error("the restart interval segment has the wrong length");
                    restart = (b[start] << 8) | b[start + 1];
                    break;
                case 0xDA:
                    if (!frame) throw error("the scan comes before a lossless (SOF3) frame header");
                    if (length != 8 || b[start] != 1) throw error("the lossless JPEG scan must hold exactly one component");
                    var huffman = tables[b[start + 2] >> 4] ?? throw error($"the scan uses Huffman table {b[start + 2] >> 4}, which is not defined");
                    int predictor = b[start + 3], pointTransform = b[start + 5] & 0x0F;
                    if (predictor is < 1 or > 7) throw error($"predictor (selection value) {predictor} is not 1–7");
                    if (pointTransform >= precision) throw error($"point transform {pointTransform} is not below the precision {precision}");
                    if (restart % layout.Columns != 0)
                        throw error($"a restart interval of {restart} samples that is not a whole number of {layout.Columns}-sample rows is not supported");
                    return Scan(b, end, layout, huffman, precision, predictor, pointTransform, restart / layout.Columns, error);
                case 0xD9:
                    throw error("the stream ends (EOI) before its scan");
                default:
                    if (marker is >= 0xC0 and <= 0xCF) throw error($"JPEG frame type SOF{marker - 0xC0} is not lossless process 14");
                    break;   // APPn, COM, DQT, …: skipped
            }
            i = end;
        }
    }

    static byte[] Scan(byte[] b, int at, FrameLayout layout, Huffman huffman, int precision, int predictor, int pt,
        int restartRows, Func<string, Exception> error)
    {
        int rows = layout.Rows, columns = layout.Columns;
        var line = new int[columns];
        var previous = new int[columns];
        var output = new byte[layout.FrameBytes];
        int mask = (1 << (precision - pt)) - 1;   // results are modulo 2^(P − Pt) (T.81 H.2.1: modulo 2^16)
        uint bits = 0;
        int count = 0;

        int Bit()
        {
            if (count == 0)
            {
                if (at >= b.Length) throw error("the lossless JPEG scan data ends early");
                int v = b[at++];
                if (v == 0xFF)
                {
                    if (at >= b.Length) throw error("the lossless JPEG scan data ends early");
                    int next = b[at];
                    if (next == 0x00) at++;
                    else throw error($"marker FF{next:X2} inside the lossless JPEG scan data where more samples were expected");
                }
                bits = (uint)v;
                count = 8;
            }
            count--;
            return (int)(bits >> count) & 1;
        }

        int Receive(int n)
        {
            int v = 0;
            for (int k = 0; k < n; k++) v = (v << 1) | Bit();
            return v;
        }

        int Difference()
        {
            int code = Bit(), len = 1;
            while (code > huffman.MaxCode[len])
            {
                code = (code << 1) | Bit();
                if (++len > 16) throw error("a Huffman code in the lossless JPEG scan is not in its table");
            }
            int ssss = huffman.Values[code + huffman.ValueOffset[len]];
            if (ssss == 0) return 0;
            if (ssss == 16) return 32768;
            if (ssss > 16) throw error($"difference category {ssss} is not 0–16");
            int v = Receive(ssss);
            return v < 1 << (ssss - 1) ? v - (1 << ssss) + 1 : v;
        }

        bool firstRowOfInterval = true;
        for (int y = 0; y < rows; y++)
        {
            if (restartRows > 0 && y > 0 && y % restartRows == 0)
            {
                // The RSTn marker: byte-aligned after the padding bits, then prediction starts over.
                count = 0;
                if (at + 1 >= b.Length || b[at] != 0xFF || b[at + 1] is < 0xD0 or > 0xD7)
                    throw error($"expected a restart marker before row {y + 1} of the lossless JPEG scan");
                at += 2;
                firstRowOfInterval = true;
            }
            for (int x = 0; x < columns; x++)
            {
                int prediction;
                if (firstRowOfInterval) prediction = x == 0 ? 1 << (precision - pt - 1) : line[x - 1];
                else if (x == 0) prediction = previous[0];
                else
                {
                    int ra = line[x - 1], rb = previous[x], rc = previous[x - 1];
                    prediction = predictor switch
                    {
                        1 => ra,
                        2 => rb,
                        3 => rc,
                        4 => ra + rb - rc,
                        5 => ra + ((rb - rc) >> 1),
                        6 => rb + ((ra - rc) >> 1),
                        _ => (ra + rb) >> 1,
                    };
                }
                line[x] = (prediction + Difference()) & mask;
                int sample = line[x] << pt;
                long o = ((long)y * columns + x) * layout.BytesPerSample;
                output[o] = (byte)sample;
                if (layout.BytesPerSample == 2) output[o + 1] = (byte)(sample >> 8);
            }
            firstRowOfInterval = false;
            (line, previous) = (previous, line);
        }
        return output;
    }
}
