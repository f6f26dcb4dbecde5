using System.Text;

namespace SegSam.Imaging;

/// <summary>
/// Line-by-line reading of the text header that MetaImage and NRRD put in front of binary data,
/// leaving the stream positioned on the first byte after the line just read.
/// </summary>
internal static class HeaderText
{
    const int MaxLine = 1 << 16;

    /// <summary>The next line without its LF / CRLF ending, or null at end of stream.</summary>
    public static string? ReadLine(Stream stream, string source)
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0) return bytes.Count == 0 ? null : Decode(bytes);
            if (b == '\n') return Decode(bytes);
            if (bytes.Count == MaxLine)
                throw new InvalidDataException($"{source}: bad header: a line longer than {MaxLine} bytes (binary data where text was expected?)");
            bytes.Add((byte)b);
        }
    }

    /// <summary>Skips <paramref name="lines"/> newline-terminated lines of the data file (NRRD's "line skip").</summary>
    public static void SkipLines(Stream stream, int lines, string source)
    {
        for (int i = 0; i < lines; i++)
        {
            int b;
            do b = stream.ReadByte(); while (b >= 0 && b != '\n');
            if (b < 0) throw new InvalidDataException($"{source}: data truncated: ended while skipping {lines} lines");
        }
    }

    static string Decode(List<byte> bytes)
    {
        int n = bytes.Count > 0 && bytes[^1] == '\r' ? bytes.Count - 1 : bytes.Count;
        return Encoding.Latin1.GetString(bytes.ToArray(), 0, n);
    }
}
