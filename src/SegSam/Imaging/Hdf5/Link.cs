using System.Text;

namespace SegSam.Imaging.Hdf5;

internal enum LinkKind { Hard, Soft, External, Other }

/// <summary>
/// One named link of a group: hard (an object header address), soft (a path), external (a file
/// and a path in it) or a user-defined kind that is only named.
/// </summary>
internal sealed record Link(string Name, LinkKind Kind, long Address = FieldReader.Undefined, string Target = "", string File = "")
{
    /// <summary>
    /// A link message (File Format Specification, IV.A.2.g): version 1, flags (bits 0–1 size of the
    /// name length, 2 creation order present, 3 link type present, 4 character set present), then
    /// the name and the type's information.
    /// </summary>
    public static Link Parse(Hdf5Source source, byte[] body, string what)
    {
        var fields = new FieldReader(source, body, $"{what}: link message");
        int version = fields.U8();
        if (version != 1) throw source.Fail($"{what}: link message version {version} is not supported");
        int flags = fields.U8();
        int type = (flags & 0x08) != 0 ? fields.U8() : 0;
        if ((flags & 0x04) != 0) fields.Skip(8);
        if ((flags & 0x10) != 0) fields.Skip(1);
        long nameLength = fields.Count(1 << (flags & 0x03), "link name length");
        if (nameLength < 1 || nameLength > fields.Remaining) throw source.Fail($"{what}: link name of {nameLength} bytes does not fit its message");
        string name = Encoding.UTF8.GetString(fields.Span((int)nameLength));
        switch (type)
        {
            case 0:
                return new Link(name, LinkKind.Hard, fields.Address());
            case 1:
                int length = fields.U16();
                return new Link(name, LinkKind.Soft, Target: Encoding.UTF8.GetString(fields.Span(length)));
            case 64:
                // External: a version/flags byte, then the file name and the object path, each NUL-terminated.
                var value = fields.Span(fields.U16());
                if (value.Length < 1) throw source.Fail($"{what}: external link '{name}' has no value");
                var strings = Encoding.UTF8.GetString(value[1..]).Split('\0');
                return new Link(name, LinkKind.External, File: strings[0], Target: strings.Length > 1 ? strings[1] : "");
            default:
                return new Link(name, LinkKind.Other, Target: $"user-defined link type {type}");
        }
    }
}
