using System.IO.Hashing;

namespace SegSam.IO;

/// <summary>
/// Reads a zip member while checking it against its directory entry, as Python's zipfile (and
/// so NumPy's np.load) does and .NET's ZipArchive does not: the member may not give more bytes
/// than its recorded size, and <see cref="VerifyEnd"/> checks that it gave exactly that many
/// with the recorded CRC-32. A flipped byte in stored or deflated data is then an
/// <see cref="InvalidDataException"/> naming <c>source</c> rather than a wrong value.
/// </summary>
internal sealed class Crc32VerifyingStream(Stream inner, long expectedLength, uint expectedCrc, string source) : ForwardReadStream
{
    readonly Crc32 crc = new();
    long count;

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        count += n;
        if (count > expectedLength)
            throw new InvalidDataException($"{source}: the member holds more than the {expectedLength} bytes its zip entry records");
        crc.Append(buffer[..n]);
        return n;
    }

    /// <summary>Reads what is left of the member and checks its length and CRC-32.</summary>
    public void VerifyEnd()
    {
        var rest = new byte[1 << 16];
        while (Read(rest) > 0) { }
        if (count != expectedLength)
            throw new InvalidDataException($"{source}: truncated: the member holds {count} of the {expectedLength} bytes its zip entry records");
        uint actual = crc.GetCurrentHashAsUInt32();
        if (actual != expectedCrc)
            throw new InvalidDataException($"{source}: bad CRC-32 (0x{actual:x8}, the zip entry records 0x{expectedCrc:x8}): the data is corrupt");
    }
}
