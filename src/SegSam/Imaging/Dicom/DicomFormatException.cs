namespace SegSam.Imaging.Dicom;

/// <summary>
/// A DICOM file or folder that cannot be read. The message starts with the path and names the
/// problem, so it can be shown to the user as is.
/// </summary>
public class DicomFormatException : Exception
{
    public string Path { get; }

    public DicomFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner) => Path = path;
}
