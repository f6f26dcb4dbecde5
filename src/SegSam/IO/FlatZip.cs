using System.Globalization;
using System.IO.Compression;

namespace SegSam.IO;

/// <summary>
/// Unpacks the files of a zip (e.g. a DICOM series sent as one upload) into one folder under
/// names of its own: 000001, 000002, … in entry order. Entry names ("../x", "/etc/x", "C:\x")
/// never reach the file system, so a zip slip cannot happen whatever the archive says. The
/// unpacked bytes are counted as they come out (the sizes a zip declares may lie) and bounded,
/// as is the number of entries, so a zip bomb stops at the limit instead of filling the disk.
/// </summary>
public static class FlatZip
{
    /// <summary>Unpacks <paramref name="zipPath"/> into <paramref name="folder"/>; returns how many files were written. Breaking a limit or a damaged zip is an <see cref="InvalidDataException"/>.</summary>
    public static int Extract(string zipPath, string folder, long maxBytes, int maxEntries)
    {
        using var archive = ZipFile.OpenRead(zipPath);
        if (archive.Entries.Count > maxEntries)
            throw new InvalidDataException($"the zip holds {archive.Entries.Count} entries; at most {maxEntries} are accepted");
        Directory.CreateDirectory(folder);
        var buffer = new byte[1 << 16];
        long total = 0;
        int written = 0;
        foreach (var entry in archive.Entries)
        {
            // A folder entry has nothing to write, and the flat names need no folders.
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\')) continue;
            written++;
            if (DeflateLimit.ImplausibleSize(entry) is { } why) throw new InvalidDataException($"zip entry {written}: {why}");
            string target = Path.Combine(folder, written.ToString("D6", CultureInfo.InvariantCulture));
            using var source = entry.Open();
            using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
            int n;
            while ((n = source.Read(buffer)) > 0)
            {
                total += n;
                if (total > maxBytes) throw new InvalidDataException($"the zip unpacks to more than {maxBytes} bytes, the limit");
                file.Write(buffer, 0, n);
            }
        }
        return written;
    }
}
