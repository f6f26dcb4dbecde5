namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// The decoders of encapsulated transfer syntaxes, by UID. Each turns one frame's compressed
/// stream into its native little-endian bytes (samples interleaved) of exactly
/// <see cref="FrameLayout.FrameBytes"/> bytes; any problem in the stream becomes a
/// <see cref="DicomFormatException"/> naming the file and the frame.
/// </summary>
internal static class PixelCodecs
{
    public const string EncapsulatedUncompressed = "1.2.840.10008.1.2.1.98";
    public const string Rle = "1.2.840.10008.1.2.5";
    public const string JpegBaseline = "1.2.840.10008.1.2.4.50";
    public const string JpegExtended = "1.2.840.10008.1.2.4.51";
    public const string JpegLossless = "1.2.840.10008.1.2.4.57";
    public const string JpegLosslessSv1 = "1.2.840.10008.1.2.4.70";
    public const string JpegLsLossless = "1.2.840.10008.1.2.4.80";
    public const string JpegLsNearLossless = "1.2.840.10008.1.2.4.81";
    public const string Jpeg2000Lossless = "1.2.840.10008.1.2.4.90";
    public const string Jpeg2000 = "1.2.840.10008.1.2.4.91";
    public const string Htj2kLossless = "1.2.840.10008.1.2.4.201";
    public const string Htj2kLosslessRpcl = "1.2.840.10008.1.2.4.202";
    public const string Htj2k = "1.2.840.10008.1.2.4.203";

    /// <summary>JPEG 2000 Part 1 and High-Throughput JPEG 2000 (Part 15), which OpenJPEG ≥ 2.5 decodes alike.</summary>
    public static bool IsJpeg2000(string uid) => uid is Jpeg2000Lossless or Jpeg2000 or Htj2kLossless or Htj2kLosslessRpcl or Htj2k;

    public static bool CanDecode(TransferSyntax syntax) =>
        syntax.Uid is EncapsulatedUncompressed or Rle or JpegBaseline or JpegExtended or JpegLossless or JpegLosslessSv1
            or JpegLsLossless or JpegLsNearLossless || IsJpeg2000(syntax.Uid);

    static bool IsJpeg(TransferSyntax syntax) => syntax.Uid is JpegBaseline or JpegExtended or JpegLossless or JpegLosslessSv1;

    public static byte[] DecodeFrame(string path, TransferSyntax syntax, byte[] frame, int index, int frames, FrameLayout layout)
    {
        Exception Error(string problem) =>
            new DicomFormatException(path, $"frame {index + 1} of {frames} ({syntax.Name}) cannot be decoded: {problem}");
        byte[] decoded = syntax.Uid switch
        {
            EncapsulatedUncompressed => frame,
            Rle => RleLossless.Decode(frame, layout, Error),
            // JPEG turns YBR into RGB itself (lossy frames along with their chroma upsampling).
            JpegBaseline or JpegExtended or JpegLossless or JpegLosslessSv1 => JpegFrames.Decode(frame, layout, Error),
            JpegLsLossless or JpegLsNearLossless => JpegLsFrames.Decode(frame, layout, Error),
            _ when IsJpeg2000(syntax.Uid) => Jpeg2000Frames.Decode(frame, layout, Error),
            _ => throw new UnsupportedTransferSyntaxException(path, syntax),
        };
        // Odd-length frames are padded to even length; fewer bytes than the frame needs is damage.
        if (decoded.Length < layout.FrameBytes)
            throw Error($"it decodes to {decoded.Length} bytes, fewer than the {layout.FrameBytes} of {layout.Rows} rows × {layout.Columns} columns × {layout.Samples} sample(s) × {layout.BytesPerSample} byte(s)");
        if (layout.Samples > 1 && syntax.Uid == EncapsulatedUncompressed)
            decoded = layout.Planar ? ColourSamples.Interleave(decoded, (long)layout.Rows * layout.Columns, 1, layout.Samples, layout.BytesPerSample) : (byte[])decoded.Clone();
        // The other codecs keep the stored components (OpenJPEG inverts only the JPEG 2000 component transform of YBR_RCT/ICT).
        if (layout.Ybr && !IsJpeg(syntax)) ColourSamples.YbrFullToRgb(decoded.AsSpan(0, (int)layout.FrameBytes));
        return decoded;
    }
}
