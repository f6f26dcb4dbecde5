namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>What a decoder is told about one frame, from the image pixel attributes (already checked).</summary>
internal readonly record struct FrameLayout(int Rows, int Columns, int Samples, int BitsAllocated, int BitsStored, bool Signed)
{
    public int BytesPerSample => BitsAllocated / 8;
    /// <summary>The size of the decoded frame: native little-endian samples, interleaved.</summary>
    public long FrameBytes => (long)Rows * Columns * Samples * BytesPerSample;
}
