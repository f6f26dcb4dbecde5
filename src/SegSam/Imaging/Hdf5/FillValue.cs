namespace SegSam.Imaging.Hdf5;

/// <summary>
/// The value that storage never written reads as: the fill value message (File Format
/// Specification, IV.A.2.f, versions 1–3) or else the old fill value message (IV.A.2.e); null
/// means the default, all zero bytes. A user-defined value is one element in the file's type.
/// </summary>
internal static class FillValue
{
    public static byte[]? Read(Hdf5Source source, ObjectHeader header, int elementSize, string what)
    {
        byte[]? value = null;
        if (header.Find(MessageType.FillValue) is { } message)
        {
            var fields = new FieldReader(source, message.Body, $"{what}: fill value message");
            int version = fields.U8();
            bool present;
            switch (version)
            {
                case 1 or 2:
                    fields.Skip(2); // space allocation time, fill value write time
                    bool defined = fields.U8() != 0;
                    present = version == 1 ? fields.Remaining >= 4 : defined;
                    break;
                case 3:
                    present = (fields.U8() & 0x20) != 0; // bit 5: a fill value is defined and stored
                    break;
                default:
                    throw source.Fail($"{what}: fill value message version {version} is not supported");
            }
            if (present) value = SizedValue(source, fields, elementSize, what);
        }
        else if (header.Find(MessageType.FillValueOld) is { } old)
        {
            value = SizedValue(source, new FieldReader(source, old.Body, $"{what}: fill value message"), elementSize, what);
        }
        return value is null || value.All(b => b == 0) ? null : value;
    }

    /// <summary>A 4-byte size and that many bytes; size 0 (or −1, "undefined") means the default.</summary>
    static byte[]? SizedValue(Hdf5Source source, FieldReader fields, int elementSize, string what)
    {
        uint size = fields.U32();
        if (size is 0 or uint.MaxValue) return null;
        if (size != elementSize) throw source.Fail($"{what}: fill value of {size} bytes for elements of {elementSize}");
        return fields.Copy((int)size);
    }
}
