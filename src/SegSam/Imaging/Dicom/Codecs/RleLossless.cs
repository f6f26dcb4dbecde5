using System.Buffers.Binary;

namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// RLE Lossless (PS3.5 Annex G), written here because it is short and fully specified: a frame
/// is a 64-byte header (segment count, then up to 15 segment offsets) and one PackBits segment per
/// byte plane, the most significant byte of each sample first, sample after sample. The result is
/// the frame's native little-endian bytes with samples interleaved (Planar Configuration 0).
/// Every offset and run is bounds-checked; a segment that decodes to fewer bytes than the frame
/// has pixels is an error, extra bytes (padding some writers add) are ignored.
/// </summary>
internal static class RleLossless
{
    public static byte[] Decode(ReadOnlySpan<byte> frame, FrameLayout layout, Func<string, Exception> error)
    {
        int bytesPerSample = layout.BitsAllocated / 8;
        if (layout.BitsAllocated % 8 != 0 || bytesPerSample < 1)
            throw error($"RLE Lossless with {layout.BitsAllocated} bits allocated is not supported (8, 16 or 32)");
        int segments = layout.Samples * bytesPerSample;
        if (frame.Length < 64) throw error($"the RLE header needs 64 bytes, the frame has {frame.Length}");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (count != segments)
            throw error($"the RLE header names {count} segments; {layout.Samples} sample(s) of {layout.BitsAllocated} bits need {segments}");

        int pixels = checked(layout.Rows * layout.Columns);
        // A PackBits run of 2 bytes gives at most 128, so a frame this short cannot hold that many
        // pixels; checked before the output is allocated.
        if (pixels > 64L * frame.Length)
            throw error($"a {frame.Length}-byte RLE frame cannot hold {layout.Rows} × {layout.Columns} pixels");
        var output = new byte[checked((long)pixels * segments)];
        for (int s = 0; s < segments; s++)
        {
            uint start = BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + 4 * s)..]);
            uint end = s + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(frame[(8 + 4 * s)..]) : (uint)frame.Length;
            if (start < 64 || start > end || end > frame.Length)
                throw error($"RLE segment {s + 1} spans bytes {start}–{end} of a {frame.Length}-byte frame");
            // Segment s holds byte (bytesPerSample - 1 - s % bytesPerSample) (little-endian order) of sample s / bytesPerSample.
            int sample = s / bytesPerSample, significance = bytesPerSample - 1 - s % bytesPerSample;
            int first = sample * bytesPerSample + significance;
            Unpack(frame[(int)start..(int)end], output, first, segments, pixels, s + 1, error);
        }
        return output;
    }

    /// <summary>PackBits (PS3.5 G.3.1): n ≥ 0 copies n+1 literal bytes, −127 ≤ n ≤ −1 repeats the next byte 1−n times, −128 does nothing.</summary>
    static void Unpack(ReadOnlySpan<byte> segment, byte[] output, int first, int stride, int pixels, int number, Func<string, Exception> error)
    {
        int i = 0, written = 0;
        while (written < pixels && i < segment.Length)
        {
            int n = (sbyte)segment[i++];
            if (n >= 0)
            {
                int run = n + 1;
                if (i + run > segment.Length) throw error($"RLE segment {number} ends inside a literal run");
                run = Math.Min(run, pixels - written);
                for (int k = 0; k < run; k++) output[first + (long)(written + k) * stride] = segment[i + k];
                i += n + 1;
                written += run;
            }
            else if (n != -128)
            {
                if (i >= segment.Length) throw error($"RLE segment {number} ends inside a replicate run");
                byte value = segment[i++];
                int run = Math.Min(1 - n, pixels - written);
                for (int k = 0; k < run; k++) output[first + (long)(written + k) * stride] = value;
                written += run;
            }
        }
        if (written < pixels) throw error($"RLE segment {number} decodes to {written} bytes; the frame has {pixels} pixels");
    }
}
