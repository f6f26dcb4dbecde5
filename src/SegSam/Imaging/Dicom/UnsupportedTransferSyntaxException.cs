namespace SegSam.Imaging.Dicom;

/// <summary>The pixel data is compressed (encapsulated) in a transfer syntax this reader does not decode.</summary>
public sealed class UnsupportedTransferSyntaxException(string path, TransferSyntax syntax)
    : DicomFormatException(path,
        $"pixel data is compressed with {syntax.Name} {syntax.Uid}, which this reader does not decode; {syntax.DecompressHint}")
{
    public TransferSyntax TransferSyntax { get; } = syntax;
}
