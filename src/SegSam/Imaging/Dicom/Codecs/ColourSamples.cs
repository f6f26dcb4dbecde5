namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// Rearrangements of 3-sample (colour) pixel data into the one form the reader keeps: samples
/// interleaved pixel by pixel (Planar Configuration 0), in RGB.
/// </summary>
internal static class ColourSamples
{
    /// <summary>
    /// Colour-by-plane (Planar Configuration 1, PS3.3 C.7.6.3.1.3: all R, then all G, then all B,
    /// frame by frame) to colour-by-pixel, for <paramref name="frames"/> frames of
    /// <paramref name="pixels"/> pixels of <paramref name="bytesPerSample"/>-byte samples.
    /// </summary>
    public static byte[] Interleave(ReadOnlySpan<byte> planar, long pixels, int frames, int samples, int bytesPerSample)
    {
        long frameBytes = pixels * samples * bytesPerSample;
        var output = new byte[frameBytes * frames];
        for (int f = 0; f < frames; f++)
            for (int s = 0; s < samples; s++)
            {
                long from = f * frameBytes + s * pixels * bytesPerSample;
                for (long p = 0; p < pixels; p++)
                    planar.Slice((int)(from + p * bytesPerSample), bytesPerSample)
                        .CopyTo(output.AsSpan((int)(f * frameBytes + (p * samples + s) * bytesPerSample), bytesPerSample));
            }
        return output;
    }

    /// <summary>
    /// Native 8-bit YBR_FULL_422 (PS3.3 C.7.6.3.1.2: each horizontal pair of pixels stored as
    /// Y1 Y2 Cb Cr) to YBR_FULL, interleaved, each pair's chroma repeated for both pixels as
    /// pydicom does.
    /// </summary>
    public static byte[] Expand422(ReadOnlySpan<byte> packed)
    {
        var output = new byte[packed.Length / 2 * 3];
        for (int i = 0, o = 0; i + 3 < packed.Length; i += 4, o += 6)
        {
            output[o] = packed[i];
            output[o + 3] = packed[i + 1];
            output[o + 1] = output[o + 4] = packed[i + 2];
            output[o + 2] = output[o + 5] = packed[i + 3];
        }
        return output;
    }

    /// <summary>
    /// 8-bit YBR_FULL (interleaved Y, Cb, Cr) to RGB in place, with the equations of PS3.3
    /// C.7.6.3.1.2 (ITU-R BT.601 full range, as in JFIF): R = Y + 1.402 (Cr − 128),
    /// G = Y − 0.114 × 1.772 / 0.587 (Cb − 128) − 0.299 × 1.402 / 0.587 (Cr − 128),
    /// B = Y + 1.772 (Cb − 128), rounded half up and clamped to 0–255 as pydicom's
    /// convert_color_space does.
    /// </summary>
    public static void YbrFullToRgb(Span<byte> samples)
    {
        const double CbToG = 0.114 * 1.772 / 0.587, CrToG = 0.299 * 1.402 / 0.587;
        for (int i = 0; i + 2 < samples.Length; i += 3)
        {
            double y = samples[i], cb = samples[i + 1] - 128.0, cr = samples[i + 2] - 128.0;
            samples[i] = Round(y + 1.402 * cr);
            samples[i + 1] = Round(y - CbToG * cb - CrToG * cr);
            samples[i + 2] = Round(y + 1.772 * cb);
        }
    }

    static byte Round(double v) => (byte)Math.Clamp(Math.Floor(v + 0.5), 0, 255);
}
