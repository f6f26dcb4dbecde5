using System.Globalization;
using System.Text;

namespace SegSam.Imaging.Dicom.Writing;

/// <summary>
/// A dataset being built for writing: attributes with their VR and value, sequences with their
/// items. <see cref="DicomPart10Writer"/> encodes it in ascending tag order (PS3.5 §7.1), so
/// attributes may be added in any order. Text is encoded as UTF-8; the objects written here
/// declare Specific Character Set "ISO_IR 192" for that reason.
/// </summary>
internal sealed class DicomObject
{
    /// <summary>One attribute: raw value bytes (unpadded) or sequence items.</summary>
    internal sealed record Attribute(DicomTag Tag, string Vr, byte[] Value, IReadOnlyList<DicomObject>? Items);

    readonly SortedDictionary<uint, Attribute> attributes = new();

    public IEnumerable<Attribute> Attributes => attributes.Values;

    public bool Contains(DicomTag tag) => attributes.ContainsKey(Key(tag));

    /// <summary>The Frame of Reference UID put in this dataset.</summary>
    public string FrameOfReferenceUid =>
        System.Text.Encoding.UTF8.GetString(attributes[Key(DicomTag.FrameOfReferenceUid)].Value);

    static uint Key(DicomTag tag) => ((uint)tag.Group << 16) | tag.Element;

    DicomObject Put(DicomTag tag, string vr, byte[] value, IReadOnlyList<DicomObject>? items = null)
    {
        attributes[Key(tag)] = new Attribute(tag, vr, value, items);
        return this;
    }

    /// <summary>A text attribute (AE, AS, CS, DA, DS, IS, LO, LT, PN, SH, ST, TM, UI, UT, …); several values are joined with '\'. Null or empty writes an empty (type 2) value.</summary>
    public DicomObject Text(DicomTag tag, string vr, params string?[] values) =>
        Put(tag, vr, Encoding.UTF8.GetBytes(string.Join('\\', values.Select(v => v ?? ""))));

    /// <summary>A type 2 attribute written without a value.</summary>
    public DicomObject Empty(DicomTag tag, string vr) => Put(tag, vr, []);

    /// <summary>Decimal strings (DS), each at most 16 characters (PS3.5 Table 6.2-1).</summary>
    public DicomObject Decimals(DicomTag tag, params double[] values) => Text(tag, "DS", values.Select(DecimalString).ToArray());

    /// <summary>Integer strings (IS).</summary>
    public DicomObject Integers(DicomTag tag, params int[] values) =>
        Text(tag, "IS", values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());

    public DicomObject UShort(DicomTag tag, params ushort[] values) =>
        Put(tag, "US", values.SelectMany(v => BitConverter.GetBytes(v)).ToArray());

    public DicomObject ULong(DicomTag tag, params uint[] values) =>
        Put(tag, "UL", values.SelectMany(v => BitConverter.GetBytes(v)).ToArray());

    /// <summary>Attribute tags (AT): group then element, each 16-bit little endian.</summary>
    public DicomObject Tags(DicomTag tag, params DicomTag[] values) =>
        Put(tag, "AT", values.SelectMany(v => BitConverter.GetBytes(v.Group).Concat(BitConverter.GetBytes(v.Element))).ToArray());

    public DicomObject Bytes(DicomTag tag, string vr, byte[] value) => Put(tag, vr, value);

    public DicomObject Sequence(DicomTag tag, params DicomObject[] items) => Put(tag, "SQ", [], items);

    public DicomObject Sequence(DicomTag tag, IEnumerable<DicomObject> items) => Put(tag, "SQ", [], items.ToArray());

    /// <summary>
    /// The shortest round-trip text of <paramref name="v"/> that fits a DS value's 16 characters;
    /// longer ones are rounded to as many significant digits as fit.
    /// </summary>
    internal static string DecimalString(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"a decimal string cannot hold {v}");
        if (v == 0) return "0";
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        for (int digits = 15; s.Length > 16 && digits > 1; digits--)
            s = v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return s;
    }
}
