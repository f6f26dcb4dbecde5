using System.Buffers.Binary;
using System.Text;

namespace SegSam.Imaging.Dicom.Writing;

/// <summary>
/// Encodes a <see cref="DicomObject"/> as a DICOM Part 10 file (PS3.10 §7.1): 128-byte zero
/// preamble, "DICM", the file meta group (explicit VR little endian, with its group length
/// (0002,0000) counting the bytes after it), then the dataset in Explicit VR Little Endian
/// (1.2.840.10008.1.2.1, PS3.5 §A.2). Sequences and items are written with defined lengths.
/// Values are padded to even length: UI with NUL, other text with a space, binary with a zero
/// byte (PS3.5 §6.2). Retired dataset group lengths are not written.
/// </summary>
internal static class DicomPart10Writer
{
    /// <summary>Identifies this writer in the meta group (PS3.7 Annex D.3.3.2: implementation class UID and version name).</summary>
    internal const string ImplementationClassUid = DicomUids.Root + ".339242625873138508530305285226364412525";
    internal const string ImplementationVersionName = "SEGSAM_1";

    /// <summary>VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 Table 7.1-1).</summary>
    static readonly HashSet<string> LongVrs = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];
    static readonly HashSet<string> TextVrs = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"];

    static readonly DicomTag MediaStorageSopClassUid = new(0x0002, 0x0002);
    static readonly DicomTag MediaStorageSopInstanceUid = new(0x0002, 0x0003);

    public static byte[] Encode(DicomObject dataset, string sopClassUid, string sopInstanceUid)
    {
        var meta = new DicomObject()
            .Bytes(new DicomTag(0x0002, 0x0001), "OB", [0, 1])
            .Text(MediaStorageSopClassUid, "UI", sopClassUid)
            .Text(MediaStorageSopInstanceUid, "UI", sopInstanceUid)
            .Text(DicomTag.TransferSyntaxUid, "UI", TransferSyntax.ExplicitVrLittleEndian.Uid)
            .Text(new DicomTag(0x0002, 0x0012), "UI", ImplementationClassUid)
            .Text(new DicomTag(0x0002, 0x0013), "SH", ImplementationVersionName);
        var metaBody = new MemoryStream();
        WriteElements(metaBody, meta);

        var file = new MemoryStream();
        file.Write(new byte[128]);
        file.Write("DICM"u8);
        var groupLength = new DicomObject().ULong(DicomTag.FileMetaInformationGroupLength, (uint)metaBody.Length);
        WriteElements(file, groupLength);
        metaBody.Position = 0;
        metaBody.CopyTo(file);
        WriteElements(file, dataset);
        return file.ToArray();
    }

    static void WriteElements(Stream output, DicomObject dataset)
    {
        foreach (var a in dataset.Attributes) WriteElement(output, a);
    }

    static void WriteElement(Stream output, DicomObject.Attribute a)
    {
        byte[] value;
        if (a.Vr == "SQ")
        {
            var items = new MemoryStream();
            foreach (var item in a.Items!)
            {
                var body = new MemoryStream();
                WriteElements(body, item);
                WriteTag(items, DicomTag.Item);
                WriteUInt32(items, checked((uint)body.Length));
                body.Position = 0;
                body.CopyTo(items);
            }
            value = items.ToArray();
        }
        else value = Pad(a.Vr, a.Value);

        WriteTag(output, a.Tag);
        output.Write(Encoding.ASCII.GetBytes(a.Vr));
        if (LongVrs.Contains(a.Vr))
        {
            output.Write(stackalloc byte[2]);
            WriteUInt32(output, checked((uint)value.Length));
        }
        else
        {
            if (value.Length > 0xFFFE)
                throw new InvalidOperationException(
                    $"{a.Tag.Describe()} ({a.Vr}) needs {value.Length} bytes; explicit VR little endian allows a {a.Vr} value at most 65534 bytes (PS3.5 §7.1.2)");
            Span<byte> len = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)value.Length);
            output.Write(len);
        }
        output.Write(value);
    }

    static byte[] Pad(string vr, byte[] value)
    {
        if (value.Length % 2 == 0) return value;
        byte pad = vr == "UI" ? (byte)0 : TextVrs.Contains(vr) ? (byte)' ' : (byte)0;
        return [.. value, pad];
    }

    static void WriteTag(Stream output, DicomTag tag)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(b, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], tag.Element);
        output.Write(b);
    }

    static void WriteUInt32(Stream output, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        output.Write(b);
    }
}
