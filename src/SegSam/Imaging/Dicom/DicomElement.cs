namespace SegSam.Imaging.Dicom;

/// <summary>
/// One data element as read from the file: its tag, VR and either the raw value bytes (in the
/// byte order of <see cref="BigEndian"/>) or, for a sequence, its items. Pixel data that was
/// skipped (read without pixels) or is encapsulated keeps only its position and length.
/// </summary>
public sealed class DicomElement
{
    public DicomTag Tag { get; }
    /// <summary>The two-letter VR from the file (explicit VR) or the dictionary (implicit VR; "UN" when unknown).</summary>
    public string Vr { get; }
    /// <summary>The value as stored; empty for sequences, encapsulated and skipped pixel data.</summary>
    public byte[] Bytes { get; }
    /// <summary>The items of a sequence; empty for other elements.</summary>
    public IReadOnlyList<DicomDataset> Items { get; }
    public bool BigEndian { get; }
    /// <summary>Offset of the value in the (inflated, for deflated files) dataset stream.</summary>
    public long ValueOffset { get; }
    /// <summary>Value length in bytes; -1 for an undefined length (sequences, encapsulated pixel data).</summary>
    public long Length { get; }
    /// <summary>Pixel data stored as compressed fragments (undefined length, PS3.5 §A.4).</summary>
    public bool IsEncapsulated { get; }
    /// <summary>
    /// Encapsulated pixel data read with its pixels: the items' values in file order, the Basic
    /// Offset Table first (possibly empty), then the fragments; null otherwise.
    /// </summary>
    internal IReadOnlyList<byte[]>? Fragments { get; }
    /// <summary>False for pixel data skipped by <c>DicomFile.Read(path, readPixels: false)</c>.</summary>
    public bool IsLoaded { get; }

    internal DicomElement(DicomTag tag, string vr, byte[] bytes, bool bigEndian, long valueOffset, long length,
        IReadOnlyList<DicomDataset>? items = null, bool isEncapsulated = false, bool isLoaded = true, IReadOnlyList<byte[]>? fragments = null)
    {
        Tag = tag;
        Vr = vr;
        Bytes = bytes;
        BigEndian = bigEndian;
        ValueOffset = valueOffset;
        Length = length;
        Items = items ?? [];
        IsEncapsulated = isEncapsulated;
        IsLoaded = isLoaded;
        Fragments = fragments;
    }

    public override string ToString() => $"{Tag.Describe()} {Vr} length {Length}";
}
