namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// What a decoder is told about one frame, from the image pixel attributes (already checked).
/// <paramref name="Planar"/>: the samples are stored colour by plane (Planar Configuration 1),
/// which only uncompressed frames honour; <paramref name="Ybr"/>: the samples are YBR_FULL(_422)
/// and must come out of decoding as RGB.
/// </summary>
internal readonly record struct FrameLayout(int Rows, int Columns, int Samples, int BitsAllocated, int BitsStored, bool Signed,
    bool Planar = false, bool Ybr = false)
{
    public int BytesPerSample => BitsAllocated / 8;
    /// <summary>The size of the decoded frame: native little-endian samples, interleaved.</summary>
    public long FrameBytes => (long)Rows * Columns * Samples * BytesPerSample;
}
