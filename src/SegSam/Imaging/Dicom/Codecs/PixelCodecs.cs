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

    public static bool CanDecode(TransferSyntax syntax) =>
        syntax.Uid is EncapsulatedUncompressed or Rle or JpegBaseline or JpegExtended or JpegLossless or JpegLosslessSv1
            or JpegLsLossless or JpegLsNearLossless or Jpeg2000Lossless or Jpeg2000;

    public static byte[] DecodeFrame(string path, TransferSyntax syntax, byte[] frame, int index, int frames, FrameLayout layout)
    {
        Exception Error(string problem) =>
            new DicomFormatException(path, $"frame {index + 1} of {frames} ({syntax.Name}) cannot be decoded: {problem}");
        byte[] decoded = syntax.Uid switch
        {
            EncapsulatedUncompressed => frame,
            Rle => RleLossless.Decode(frame, layout, Error),
            JpegBaseline or JpegExtended or JpegLossless or JpegLosslessSv1 => JpegFrames.Decode(frame, layout, Error),
            JpegLsLossless or JpegLsNearLossless => JpegLsFrames.Decode(frame, layout, Error),
            Jpeg2000Lossless or Jpeg2000 => Jpeg2000Frames.Decode(frame, layout, Error),
            _ => throw new UnsupportedTransferSyntaxException(path, syntax),
        };
        // Odd-length frames are padded to even length; fewer bytes than the frame needs is damage.
        if (decoded.Length < layout.FrameBytes)
            throw Error($"it decodes to {decoded.Length} bytes, fewer than the {layout.FrameBytes} of {layout.Rows} rows × {layout.Columns} columns × {layout.Samples} sample(s) × {layout.BytesPerSample} byte(s)");
        return decoded;
    }
}
