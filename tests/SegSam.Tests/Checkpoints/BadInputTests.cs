using System.IO.Compression;
using SegSam.Checkpoints;

namespace SegSam.Tests.Checkpoints;

/// <summary>Files that are not checkpoints at all must fail with clear, typed exceptions.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("segsam-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MissingFile_ThrowsFileNotFoundWithPath()
    {
        string file = Path.Combine(_dir, "nope.pth");
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointFile.Load(file));
        Assert.Equal(file, e.FileName);
        Assert.Contains(file, e.Message);
        Assert.Throws<FileNotFoundException>(() => CheckpointFile.Inspect(file));
        Assert.Throws<FileNotFoundException>(() => CheckpointFile.ReadMetadata(file));
    }

    [Fact]
    public void EmptyFile_IsRejected()
    {
        string file = Path.Combine(_dir, "empty.pth");
        File.WriteAllBytes(file, Array.Empty<byte>());
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void RandomBytes_AreRejected()
    {
        string file = Path.Combine(_dir, "random.bin");
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("not a recognised checkpoint", e.Message);
    }

    [Fact]
    public void ZipWithoutPickle_IsRejected()
    {
        string file = Path.Combine(_dir, "other.zip");
        using (var zip = ZipFile.Open(file, ZipArchiveMode.Create))
        using (var w = new StreamWriter(zip.CreateEntry("readme.txt").Open()))
            w.Write("hello");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("data.pkl", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'X' })] // truncated BINUNICODE
    [InlineData(new byte[] { 0x80, 0x02, 0xff, (byte)'.' })] // unknown opcode
    [InlineData(new byte[] { 0x80, 0x02, (byte)'s', (byte)'.' })] // SETITEM on an empty stack
    [InlineData(new byte[] { 0x80, 0x02, (byte)'h', 0x05, (byte)'.' })] // BINGET of an unset memo slot
    [InlineData(new byte[] { 0x80, 0x02, (byte)'K', 0x01, (byte)'.' })] // top level is an int, not a dict
    public void MalformedPickles_AreRejected(byte[] pickle)
    {
        string file = Path.Combine(_dir, "bad-pickle.pth");
        using (var zip = ZipFile.Open(file, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
            s.Write(pickle);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
    }
}
