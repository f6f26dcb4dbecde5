using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// The elements of one DICOM file (file meta group included) or of one sequence item, with
/// typed access to the attributes SegSam uses. Accessors return null (or an empty array) for an
/// absent or empty attribute and throw <see cref="DicomFormatException"/> for a malformed one.
/// </summary>
public sealed class DicomDataset
{
    readonly Dictionary<DicomTag, DicomElement> elements = new();
    readonly List<DicomTag> order = new();

    /// <summary>The file this dataset was read from, for messages.</summary>
    public string Source { get; }
    public TransferSyntax TransferSyntax { get; }
    /// <summary>The dataset holding the sequence this item belongs to; null for a file's dataset.</summary>
    public DicomDataset? Parent { get; }

    internal DicomDataset(string source, TransferSyntax transferSyntax, DicomDataset? parent)
    {
        Source = source;
        TransferSyntax = transferSyntax;
        Parent = parent;
    }

    // Later duplicates replace earlier ones, as pydicom does.
    internal void Add(DicomElement element)
    {
        if (elements.TryAdd(element.Tag, element)) order.Add(element.Tag);
        else elements[element.Tag] = element;
    }

    /// <summary>Elements in file order.</summary>
    public IEnumerable<DicomElement> Elements => order.Select(t => elements[t]);
    public bool Contains(DicomTag tag) => elements.ContainsKey(tag);
    public DicomElement? Find(DicomTag tag) => elements.GetValueOrDefault(tag);

    // ---- typed attributes --------------------------------------------------------------------

    public string? PatientId => GetString(DicomTag.PatientId);
    public string? StudyInstanceUid => GetString(DicomTag.StudyInstanceUid);
    public string? SeriesInstanceUid => GetString(DicomTag.SeriesInstanceUid);
    public string? SopInstanceUid => GetString(DicomTag.SopInstanceUid);
    public string? Modality => GetString(DicomTag.Modality);
    public string? SeriesDescription => GetString(DicomTag.SeriesDescription);
    public int? SeriesNumber => GetInt(DicomTag.SeriesNumber);
    public int? InstanceNumber => GetInt(DicomTag.InstanceNumber);
    public int? Rows => GetInt(DicomTag.Rows);
    public int? Columns => GetInt(DicomTag.Columns);
    public int? BitsAllocated => GetInt(DicomTag.BitsAllocated);
    public int? BitsStored => GetInt(DicomTag.BitsStored);
    public int? HighBit => GetInt(DicomTag.HighBit);
    /// <summary>0 = unsigned, 1 = two's complement.</summary>
    public int? PixelRepresentation => GetInt(DicomTag.PixelRepresentation);
    public int? SamplesPerPixel => GetInt(DicomTag.SamplesPerPixel);
    public string? PhotometricInterpretation => GetString(DicomTag.PhotometricInterpretation);
    public int? PlanarConfiguration => GetInt(DicomTag.PlanarConfiguration);
    /// <summary>Number of Frames, 1 when absent.</summary>
    public int NumberOfFrames => GetInt(DicomTag.NumberOfFrames) ?? 1;
    public double? RescaleSlope => GetDouble(DicomTag.RescaleSlope);
    public double? RescaleIntercept => GetDouble(DicomTag.RescaleIntercept);
    public string? RescaleType => GetString(DicomTag.RescaleType);
    public double[] WindowCenter => GetDoubles(DicomTag.WindowCenter) ?? [];
    public double[] WindowWidth => GetDoubles(DicomTag.WindowWidth) ?? [];
    /// <summary>x, y, z (LPS, mm) of the centre of the first transmitted pixel.</summary>
    public double[]? ImagePositionPatient => GetVector(DicomTag.ImagePositionPatient, 3);
    /// <summary>Row direction cosines (x, y, z) then column direction cosines, in LPS.</summary>
    public double[]? ImageOrientationPatient => GetVector(DicomTag.ImageOrientationPatient, 6);
    /// <summary>Row spacing (between row centres) then column spacing, in mm.</summary>
    public double[]? PixelSpacing => GetVector(DicomTag.PixelSpacing, 2);
    public double? SliceThickness => GetDouble(DicomTag.SliceThickness);
    public double? SpacingBetweenSlices => GetDouble(DicomTag.SpacingBetweenSlices);

    // ---- generic value access ----------------------------------------------------------------

    /// <summary>The whole text value, trimmed of padding; null when absent or empty.</summary>
    public string? GetString(DicomTag tag)
    {
        var e = Find(tag);
        if (e is null || e.Bytes.Length == 0) return null;
        string text = Trim(TextEncoding.GetString(e.Bytes), EffectiveVr(e));
        return text.Length == 0 ? null : text;
    }

    /// <summary>The values of a multi-valued text attribute (split at '\'), each trimmed.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        var e = Find(tag);
        if (e is null || e.Bytes.Length == 0) return [];
        string vr = EffectiveVr(e);
        string text = TextEncoding.GetString(e.Bytes);
        if (vr is "LT" or "ST" or "UT" or "UR") return [Trim(text, vr)];
        return text.Split('\\').Select(v => Trim(v, vr)).ToArray();
    }

    /// <summary>The first value of an integer attribute (US, SS, UL, SL or IS).</summary>
    public int? GetInt(DicomTag tag)
    {
        var values = GetDoubles(tag);
        if (values is null) return null;
        double v = values[0];
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw Malformed(tag, $"{v.ToString(CultureInfo.InvariantCulture)} is not an integer");
        return (int)v;
    }

    public double? GetDouble(DicomTag tag) => GetDoubles(tag)?[0];

    /// <summary>All values of a numeric attribute (DS, IS, FL, FD, US, SS, UL, SL); null when absent or empty.</summary>
    public double[]? GetDoubles(DicomTag tag)
    {
        var e = Find(tag);
        if (e is null || e.Bytes.Length == 0) return null;
        string vr = EffectiveVr(e);
        switch (vr)
        {
            case "DS" or "IS":
                return GetStrings(tag).Select(s => ParseNumber(tag, vr, s)).ToArray();
            case "US": return Binary(e, 2, b => e.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b));
            case "SS": return Binary(e, 2, b => e.BigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b));
            case "UL": return Binary(e, 4, b => e.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b));
            case "SL": return Binary(e, 4, b => e.BigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b));
            case "FL": return Binary(e, 4, b => e.BigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b));
            case "FD": return Binary(e, 8, b => e.BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b));
            default: throw Malformed(tag, $"VR {vr} is not numeric");
        }
    }

    /// <summary>A numeric attribute that must have exactly <paramref name="count"/> values.</summary>
    public double[]? GetVector(DicomTag tag, int count)
    {
        var v = GetDoubles(tag);
        if (v is not null && v.Length != count)
            throw Malformed(tag, $"has {v.Length} values, expected {count}");
        return v;
    }

    /// <summary>The items of a sequence; empty when absent.</summary>
    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) => Find(tag)?.Items ?? [];

    /// <summary>
    /// The character set of text values: UTF-8 for "ISO_IR 192", otherwise Latin-1, which decodes
    /// the ASCII that UIDs, codes and numbers use. Items inherit their parent's.
    /// </summary>
    Encoding TextEncoding
    {
        get
        {
            var e = Find(DicomTag.SpecificCharacterSet);
            if (e is not null && e.Bytes.Length > 0)
                return Encoding.ASCII.GetString(e.Bytes).Contains("ISO_IR 192", StringComparison.Ordinal) ? Encoding.UTF8 : Encoding.Latin1;
            return Parent?.TextEncoding ?? Encoding.Latin1;
        }
    }

    // An explicit "UN" (or an unknown implicit element) is interpreted by the dictionary's VR.
    static string EffectiveVr(DicomElement e) => e.Vr == "UN" ? DicomDictionary.Vr(e.Tag) ?? "UN" : e.Vr;

    // Text VRs pad with spaces (UI with NUL); leading spaces are insignificant except in free text.
    static string Trim(string s, string vr) =>
        vr is "LT" or "ST" or "UT" ? s.TrimEnd(' ', '\0') : s.Trim(' ', '\0');

    double ParseNumber(DicomTag tag, string vr, string s)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
        {
            if (vr == "IS" && v != Math.Floor(v)) throw Malformed(tag, $"'{s}' is not an integer string");
            return v;
        }
        throw Malformed(tag, $"'{s}' is not {(vr == "IS" ? "an integer" : "a decimal")} string");
    }

    double[] Binary(DicomElement e, int size, Func<ReadOnlySpan<byte>, double> read)
    {
        if (e.Bytes.Length % size != 0)
            throw Malformed(e.Tag, $"{e.Bytes.Length} bytes is not a whole number of {size}-byte {e.Vr} values");
        var values = new double[e.Bytes.Length / size];
        for (int i = 0; i < values.Length; i++) values[i] = read(e.Bytes.AsSpan(i * size, size));
        return values;
    }

    DicomFormatException Malformed(DicomTag tag, string problem) => new(Source, $"{tag.Describe()}: {problem}");
}
