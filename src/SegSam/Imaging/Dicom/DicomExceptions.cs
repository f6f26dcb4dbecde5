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

/// <summary>The file is not DICOM at all (no "DICM" marker and no recognizable dataset start).</summary>
public sealed class NotDicomException(string path, string problem) : DicomFormatException(path, problem);

/// <summary>The pixel data is compressed (encapsulated) in a transfer syntax this reader does not decode.</summary>
public sealed class UnsupportedTransferSyntaxException(string path, TransferSyntax syntax)
    : DicomFormatException(path,
        $"pixel data is compressed with {syntax.Name} {syntax.Uid}, which this reader does not decode; {syntax.DecompressHint}")
{
    public TransferSyntax TransferSyntax { get; } = syntax;
}
