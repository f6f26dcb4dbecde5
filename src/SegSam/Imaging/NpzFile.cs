using System.IO.Compression;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// NumPy's .npz archives: a zip of .npy members (stored by np.savez, deflated by
/// np.savez_compressed), each array named by its member name without ".npy". Every member read
/// must have exactly the size and CRC-32 its zip entry records, as np.load insists.
/// </summary>
public static class NpzFile
{
    /// <summary>Every .npy member of the archive, in archive order; other members are ignored, as np.load's keys do.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var stream = InputFile.OpenRead(path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read);
            _ = zip.Entries.Count; // the central directory is read here, so its errors are reported as the file's
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a .npz (zip) archive: {e.Message}", e);
        }
        using (zip)
        {
            var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)))
            {
                string name = entry.FullName[..^4];
                string source = $"{path}: member '{entry.FullName}'";
                try
                {
                    if (DeflateLimit.ImplausibleSize(entry) is { } problem) throw new InvalidDataException($"{source}: {problem}");
                    using var member = new Crc32VerifyingStream(entry.Open(), entry.Length, entry.Crc32, source);
                    arrays[name] = NpyFile.Read(member, source, entry.Length);
                    member.VerifyEnd();
                }
                catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
                {
                    // The zip layer's own complaints (bad local header, corrupt deflate data).
                    throw new InvalidDataException($"{source}: corrupt archive data: {e.Message}", e);
                }
            }
            return arrays;
        }
    }

    /// <summary>Writes the arrays as name.npy members, deflated when <paramref name="compressed"/>, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, NpyArray> arrays, bool compressed)
    {
        foreach (var name in arrays.Keys)
            if (name.Length == 0) throw new ArgumentException("an .npz array name cannot be empty");
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, array) in arrays)
            {
                var entry = zip.CreateEntry(name + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using var member = entry.Open();
                NpyFile.Write(member, array);
            }
        });
    }
}
