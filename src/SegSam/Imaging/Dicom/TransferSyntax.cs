namespace SegSam.Imaging.Dicom;

/// <summary>
/// How a dataset is encoded (PS3.5 §10, PS3.6 Annex A): implicit or explicit VR, byte order,
/// deflate, and whether pixel data is native or encapsulated (compressed; Codecs/PixelCodecs
/// lists the compressed syntaxes decoded here).
/// </summary>
public sealed record TransferSyntax(string Uid, string Name, bool ExplicitVr, bool BigEndian, bool Deflated, bool Encapsulated)
{
    public static readonly TransferSyntax ImplicitVrLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, false);
    public static readonly TransferSyntax ExplicitVrLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, false);
    public static readonly TransferSyntax DeflatedExplicitVrLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, false);
    public static readonly TransferSyntax ExplicitVrBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, false);

    /// <summary>Compressed syntaxes by UID; all encode the dataset as explicit VR little endian.</summary>
    static readonly Dictionary<string, string> CompressedNames = new()
    {
        ["1.2.840.10008.1.2.1.98"] = "Encapsulated Uncompressed Explicit VR Little Endian",
        ["1.2.840.10008.1.2.4.50"] = "JPEG Baseline (Process 1)",
        ["1.2.840.10008.1.2.4.51"] = "JPEG Extended (Process 2 & 4)",
        ["1.2.840.10008.1.2.4.57"] = "JPEG Lossless, Non-Hierarchical (Process 14)",
        ["1.2.840.10008.1.2.4.70"] = "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        ["1.2.840.10008.1.2.4.80"] = "JPEG-LS Lossless Image Compression",
        ["1.2.840.10008.1.2.4.81"] = "JPEG-LS Lossy (Near-Lossless) Image Compression",
        ["1.2.840.10008.1.2.4.90"] = "JPEG 2000 Image Compression (Lossless Only)",
        ["1.2.840.10008.1.2.4.91"] = "JPEG 2000 Image Compression",
        ["1.2.840.10008.1.2.4.92"] = "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        ["1.2.840.10008.1.2.4.93"] = "JPEG 2000 Part 2 Multi-component Image Compression",
        ["1.2.840.10008.1.2.4.94"] = "JPIP Referenced",
        ["1.2.840.10008.1.2.4.95"] = "JPIP Referenced Deflate",
        ["1.2.840.10008.1.2.4.100"] = "MPEG2 Main Profile / Main Level",
        ["1.2.840.10008.1.2.4.101"] = "MPEG2 Main Profile / High Level",
        ["1.2.840.10008.1.2.4.102"] = "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        ["1.2.840.10008.1.2.4.103"] = "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        ["1.2.840.10008.1.2.4.104"] = "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        ["1.2.840.10008.1.2.4.105"] = "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        ["1.2.840.10008.1.2.4.106"] = "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        ["1.2.840.10008.1.2.4.107"] = "HEVC/H.265 Main Profile / Level 5.1",
        ["1.2.840.10008.1.2.4.108"] = "HEVC/H.265 Main 10 Profile / Level 5.1",
        ["1.2.840.10008.1.2.4.201"] = "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        ["1.2.840.10008.1.2.4.202"] = "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        ["1.2.840.10008.1.2.4.203"] = "High-Throughput JPEG 2000 Image Compression",
        ["1.2.840.10008.1.2.5"] = "RLE Lossless",
    };

    /// <summary>
    /// The syntax with this UID. An unknown UID is assumed to be a private compressed syntax: its
    /// dataset is read as explicit VR little endian (as every standard compressed one is), its
    /// pixels are refused.
    /// </summary>
    public static TransferSyntax FromUid(string uid)
    {
        foreach (var ts in new[] { ImplicitVrLittleEndian, ExplicitVrLittleEndian, DeflatedExplicitVrLittleEndian, ExplicitVrBigEndian })
            if (ts.Uid == uid) return ts;
        string name = CompressedNames.TryGetValue(uid, out var n) ? n : "unknown transfer syntax";
        return new TransferSyntax(uid, name, true, false, false, true);
    }

    /// <summary>What to run to get a file this reader accepts, for the error message.</summary>
    internal string DecompressHint => Uid switch
    {
        "1.2.840.10008.1.2.5" => "decompress it first, e.g. with dcmtk: dcmdrle in.dcm out.dcm (or gdcmconv --raw in.dcm out.dcm)",
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" =>
            "decompress it first, e.g. with dcmtk: dcmdjpls in.dcm out.dcm (or gdcmconv --raw in.dcm out.dcm)",
        _ when Name.StartsWith("JPEG ", StringComparison.Ordinal) && !Name.Contains("2000", StringComparison.Ordinal) =>
            "decompress it first, e.g. with dcmtk: dcmdjpeg in.dcm out.dcm (or gdcmconv --raw in.dcm out.dcm)",
        _ => "decompress it first to an uncompressed transfer syntax, e.g. with GDCM: gdcmconv --raw in.dcm out.dcm " +
             "(dcmtk's dcmdjpeg/dcmdrle/dcmdjpls cover JPEG, RLE and JPEG-LS; then dcmconv +te converts to explicit VR little endian)",
    };

    public override string ToString() => $"{Name} {Uid}";
}
