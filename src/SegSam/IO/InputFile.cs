using System.Runtime.InteropServices;
using System.Text;

namespace SegSam.IO;

/// <summary>
/// Opens a file the user named for reading, after making sure it is a regular file. A FIFO
/// blocks <c>open()</c> until some writer appears, and a device such as /dev/zero never ends,
/// so either would hang a reader: both are refused at once, before anything is opened.
/// Missing files are <see cref="FileNotFoundException"/>; anything else that is not a regular
/// file (a folder, FIFO, socket or device) is <see cref="InvalidDataException"/>; both messages
/// start with the path.
/// </summary>
public static class InputFile
{
    /// <summary>Throws unless <paramref name="path"/> is a regular file (symbolic links followed).</summary>
    public static void CheckRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder, not a file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        if (FileKind(path) is { } kind && kind != "regular file")
            throw new InvalidDataException($"{path}: is a {kind}, not a regular file");
    }

    /// <summary>True when <paramref name="path"/> exists and is a regular file (symbolic links followed).</summary>
    public static bool IsRegular(string path) =>
        File.Exists(path) && !Directory.Exists(path) && FileKind(path) is null or "regular file";

    /// <summary>A read-only stream over a regular file.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 4096)
    {
        CheckRegular(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
    }

    /// <summary>
    /// The whole content of a regular file; files larger than <paramref name="maxBytes"/> are
    /// refused before anything is allocated.
    /// </summary>
    public static byte[] ReadAllBytes(string path, long maxBytes = int.MaxValue)
    {
        using var stream = OpenRead(path);
        long length = stream.Length;
        if (length > Math.Min(maxBytes, Array.MaxLength))
            throw new InvalidDataException($"{path}: {length} bytes is more than the {Math.Min(maxBytes, Array.MaxLength)} this reader accepts");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The text of a regular file (UTF-8, or as its byte-order mark says).</summary>
    public static string ReadAllText(string path, long maxBytes = 256L << 20)
    {
        using var stream = OpenRead(path);
        if (stream.Length > maxBytes)
            throw new InvalidDataException($"{path}: {stream.Length} bytes is more than the {maxBytes} a text file may have here");
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The lines of a regular text file, as <see cref="File.ReadAllLines(string)"/> splits them.</summary>
    public static string[] ReadAllLines(string path, long maxBytes = 256L << 20)
    {
        var lines = new List<string>();
        using var reader = new StringReader(ReadAllText(path, maxBytes));
        while (reader.ReadLine() is { } line) lines.Add(line);
        return [.. lines];
    }

    /// <summary>
    /// What <paramref name="path"/> is ("regular file", "FIFO (named pipe)", "character device", …),
    /// from statx(2), whose buffer layout is the same on every Linux architecture; null where the
    /// call is unavailable (not Linux), in which case no file is refused.
    /// </summary>
    static string? FileKind(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType, buffer);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        if (result != 0) return null; // let the open that follows report the real error
        int mode = BitConverter.ToUInt16(buffer, StxModeOffset) & 0xF000;
        return mode switch
        {
            0x8000 => "regular file",
            0x4000 => "folder",
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => $"special file (mode 0x{mode:x})",
        };
    }

    const int AtFdCwd = -100;
    const uint StatxType = 0x1;
    const int StxModeOffset = 28; // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
