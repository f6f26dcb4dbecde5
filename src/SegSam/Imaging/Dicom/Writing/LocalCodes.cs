namespace SegSam.Imaging.Dicom.Writing;

/// <summary>
/// Coded entries (PS3.3 Table 8.8-1: Code Value, Coding Scheme Designator, Code Meaning). Model
/// categories have no standard code, so they get codes of SegSam's private scheme "99SEGSAM"
/// ("99" starts a private designator, PS3.3 §8.2), declared in the Coding Scheme Identification
/// Sequence. The derivation and purpose codes are DICOM's own (PS3.16, scheme DCM).
/// </summary>
internal static class LocalCodes
{
    public const string Scheme = "99SEGSAM";
    public const string SchemeName = "SegSam model categories";

    public static DicomObject Code(string value, string scheme, string meaning) => new DicomObject()
        .Text(WriteTags.CodeValue, "SH", value)
        .Text(WriteTags.CodingSchemeDesignator, "SH", scheme)
        .Text(WriteTags.CodeMeaning, "LO", Truncate(meaning, 64));

    /// <summary>Segmented Property Category of every segment: a model category.</summary>
    public static DicomObject Category() => Code("CATEGORY", Scheme, "SegSam model category");

    /// <summary>
    /// Segmented Property Type of one category: its name as the code value when that fits SH (16
    /// characters, no backslash), else "N" and the FNV-1a hash of the name in hex; the name is the meaning.
    /// </summary>
    public static DicomObject Type(string name) => Code(TypeValue(name), Scheme, name);

    internal static string TypeValue(string name)
    {
        if (name.Length is > 0 and <= 16 && name.All(c => c >= ' ' && c < 127 && c != '\\')) return name;
        uint hash = 2166136261;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(name)) hash = (hash ^ b) * 16777619;
        return $"N{hash:X8}";
    }

    /// <summary>121322 "Source image for image processing operation" (PS3.16 CID 7202).</summary>
    public static DicomObject SourceImagePurpose() => Code("121322", "DCM", "Source image for image processing operation");

    /// <summary>113076 "Segmentation" (PS3.16 CID 7203, Image Derivation).</summary>
    public static DicomObject SegmentationDerivation() => Code("113076", "DCM", "Segmentation");

    /// <summary>The Coding Scheme Identification item that declares the private scheme (PS3.3 C.12.1.1.4).</summary>
    public static DicomObject SchemeIdentification() => new DicomObject()
        .Text(WriteTags.CodingSchemeDesignator, "SH", Scheme)
        .Text(WriteTags.CodingSchemeName, "ST", SchemeName)
        .Text(WriteTags.CodingSchemeResponsibleOrganization, "ST", "SegSam");

    static string Truncate(string s, int n) => s.Length <= n ? s : s[..n];
}
