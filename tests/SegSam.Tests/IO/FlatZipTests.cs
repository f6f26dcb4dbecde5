using System.IO.Compression;
using SegSam.IO;
using SegSam.Tests.Support;

namespace SegSam.Tests.IO;

/// <summary>Unpacking a zip flat: entry names never reach the disk, and the unpacked bytes and entries are bounded.</summary>
public sealed class FlatZipTests
{
    [Fact]
    public void EntriesLandUnderNumberedNamesWhateverTheyAreCalled()
    {
        using var dir = new TempDir();
        string zip = dir.File("a.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            foreach (var (name, text) in new[] { ("../../x", "one"), ("sub/", ""), ("/etc/y", "two"), ("C:\\z", "three") })
            {
                using var w = new StreamWriter(archive.CreateEntry(name).Open());
                w.Write(text);
            }
        string into = dir.File("out");
        Assert.Equal(3, FlatZip.Extract(zip, into, 100, 10));
        Assert.Equal(["000001", "000002", "000003"], Directory.EnumerateFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories)
            .Where(p => p != zip && p != into).Select(Path.GetFileName).Order());
        Assert.Equal("three", File.ReadAllText(Path.Combine(into, "000003")));
        Assert.Contains("more than 8 bytes", Assert.Throws<InvalidDataException>(() => FlatZip.Extract(zip, dir.File("small"), 8, 10)).Message);
        Assert.Contains("4 entries; at most 2", Assert.Throws<InvalidDataException>(() => FlatZip.Extract(zip, dir.File("few"), 100, 2)).Message);
    }
}
