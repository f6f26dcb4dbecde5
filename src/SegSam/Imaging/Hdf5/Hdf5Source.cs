using SegSam.IO;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// Random access to the bytes of one HDF5 file. Every read is checked against the file's length
/// before anything is allocated, so no address or size taken from the file can reach past its
/// end or make a buffer larger than the file. Addresses are relative to the superblock's base
/// (HDF5 File Format Specification, II.A: "all other file addresses are relative to this base
/// address"). Every problem becomes an <see cref="InvalidDataException"/> whose message starts
/// with the file's path.
/// </summary>
internal sealed class Hdf5Source : IDisposable
{
    /// <summary>
    /// How many structural steps (header messages, links, B-tree entries, heap blocks, chunks) one
    /// call may take. A valid file of a few thousand objects uses a tiny fraction; a hostile one
    /// with millions of entries stops here within a second instead of running for minutes.
    /// </summary>
    public const int MaxSteps = 10_000_000;

    readonly FileStream stream;
    int steps;

    Hdf5Source(FileStream stream, string path)
    {
        this.stream = stream;
        Path = path;
        Length = stream.Length;
    }

    public string Path { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Absolute position of the superblock, to which every address is relative.</summary>
    public long BaseAddress { get; set; }

    /// <summary>Bytes of an address ("Size of Offsets" in the superblock).</summary>
    public int OffsetSize { get; set; } = 8;

    /// <summary>Bytes of a length ("Size of Lengths" in the superblock).</summary>
    public int LengthSize { get; set; } = 8;

    /// <summary>
    /// Opens a regular file (a missing file is <see cref="FileNotFoundException"/>; a folder, FIFO or
    /// device is refused by <see cref="InputFile"/>). Reads go straight to the file, unbuffered.
    /// </summary>
    public static Hdf5Source Open(string path) => new(InputFile.OpenRead(path, bufferSize: 1), path);

    public InvalidDataException Fail(string problem) => new($"{Path}: {problem}");

    /// <summary>Counts one structural step, failing once a call has taken <see cref="MaxSteps"/>.</summary>
    public void Step(string what, int count = 1)
    {
        steps += count;
        if (steps > MaxSteps)
            throw Fail($"{what}: the file's structure takes more than {MaxSteps} steps to walk (a loop or an absurd number of entries)");
    }

    /// <summary>Throws unless <paramref name="length"/> bytes at <paramref name="address"/> lie inside the file.</summary>
    public void CheckRange(long address, long length, string what)
    {
        if (address < 0 || length < 0 || address > Length - BaseAddress || length > Length - BaseAddress - address)
            throw Fail($"{what}: {length} bytes at address {address} lie outside the file ({Length} bytes)");
    }

    /// <summary>The <paramref name="length"/> bytes at <paramref name="address"/>.</summary>
    public byte[] Read(long address, long length, string what)
    {
        CheckRange(address, length, what);
        if (length > Array.MaxLength) throw Fail($"{what}: {length} bytes is more than one read can hold");
        var bytes = new byte[length];
        ReadInto(address, bytes, what);
        return bytes;
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="address"/>.</summary>
    public void ReadInto(long address, Span<byte> destination, string what)
    {
        CheckRange(address, destination.Length, what);
        long position = BaseAddress + address;
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(stream.SafeFileHandle, destination, position);
            if (n <= 0) throw Fail($"{what}: the file ended early (it shrank while being read?)");
            destination = destination[n..];
            position += n;
        }
    }

    /// <summary>A field reader over the <paramref name="length"/> bytes at <paramref name="address"/>.</summary>
    public FieldReader Fields(long address, long length, string what) => new(this, Read(address, length, what), what);

    public void Dispose() => stream.Dispose();
}
