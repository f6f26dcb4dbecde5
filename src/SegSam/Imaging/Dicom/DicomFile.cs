namespace SegSam.Imaging.Dicom;

/// <summary>Reads DICOM Part 10 files.</summary>
public static class DicomFile
{
    /// <summary>
    /// Reads the file's meta group and dataset. With <paramref name="readPixels"/> false the Pixel
    /// Data value is skipped (only its offset and length are kept), which makes scanning a folder
    /// cheap. With it true the fragments of encapsulated pixel data are kept for
    /// <see cref="DicomPixelData"/> to decode, and a compressed transfer syntax no decoder here
    /// covers is refused with <see cref="UnsupportedTransferSyntaxException"/>.
    /// Any malformed input raises a <see cref="DicomFormatException"/> whose message starts with the path.
    /// </summary>
    public static DicomDataset Read(string path, bool readPixels = true) => DicomReader.ReadFile(path, readPixels);
}
