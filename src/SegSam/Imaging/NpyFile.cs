using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Reads and writes NumPy's .npy format (versions 1.0–3.0): magic, a Python-literal header
/// dict with descr / fortran_order / shape, then the raw data.
/// </summary>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    /// <summary>numpy.lib.format's default max_header_size: larger headers are refused as unsafe to parse.</summary>
    const int MaxHeaderLength = 10000;

    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, stream.Length);
    }

    /// <summary>
    /// Reads one array from a stream; <paramref name="source"/> names it in errors. The stream
    /// holds at most <paramref name="available"/> bytes (e.g. a zip member's size), so a header
    /// declaring more is refused before any memory is taken for the data.
    /// </summary>
    public static NpyArray Read(Stream stream, string source, long available)
    {
        var prefix = new byte[8];
        if (ReadFully(stream, prefix) < 8 || !prefix.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a NumPy .npy file (bad magic)");
        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            var len = new byte[2];
            if (ReadFully(stream, len) < 2) throw Truncated(source);
            headerLength = BitConverter.ToUInt16(len);
        }
        else if (major is 2 or 3)
        {
            var len = new byte[4];
            if (ReadFully(stream, len) < 4) throw Truncated(source);
            uint declared = BitConverter.ToUInt32(len);
            headerLength = declared <= MaxHeaderLength ? (int)declared
                : throw new InvalidDataException($"{source}: .npy header length {declared} is more than the {MaxHeaderLength} bytes NumPy itself accepts");
        }
        else throw new InvalidDataException($"{source}: unsupported .npy version {major}.{prefix[7]}");

        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw Truncated(source);
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (descr, fortran, shape) = ParseHeader(header, source);

        var dtype = NpyDType.FromDescr(descr)
            ?? throw new InvalidDataException($"{source}: unsupported .npy dtype '{descr}' (supported: {string.Join(", ", NpyDType.All.Select(d => d.Name))}, little-endian)");
        long bytes = ByteSize(shape, dtype.Size);
        if (bytes < 0 || bytes > Array.MaxLength)
            throw new InvalidDataException($"{source}: array of shape {Shapes.Format(shape)} of {dtype.Name} is too large to read");
        long left = available - (8 + (major == 1 ? 2 : 4) + headerLength);
        if (bytes > left)
            throw new InvalidDataException($"{source}: truncated .npy data (shape {Shapes.Format(shape)} of {dtype.Name} needs {bytes} bytes, {Math.Max(left, 0)} are present)");
        var data = new byte[bytes];
        if (ReadFully(stream, data) < bytes)
            throw new InvalidDataException($"{source}: truncated .npy data (shape {Shapes.Format(shape)} of {dtype.Name} needs {bytes} bytes)");
        if (fortran && shape.Length > 1) data = FortranToC(data, shape, dtype.Size);
        return new NpyArray(dtype, shape, data);
    }

    /// <summary>Writes an array atomically (temporary file in the same folder, then rename).</summary>
    public static void Write(string path, NpyArray array)
    {
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    public static void Write(Stream stream, NpyArray array)
    {
        string shape = array.Shape.Length switch
        {
            0 => "()",
            1 => $"({array.Shape[0]},)",
            _ => "(" + string.Join(", ", array.Shape) + ")",
        };
        string dict = $"{{'descr': '{array.DType.Descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Pad with spaces so the data starts on a 64-byte boundary, as NumPy does.
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        int padding = (64 - unpadded % 64) % 64;
        string header = dict + new string(' ', padding) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(array.Data);
    }

    static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, string source)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidDataException($"{source}: malformed .npy header: {header.Trim()}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v : throw new InvalidDataException($"{source}: bad dimension '{d}' in .npy shape"))
            .ToArray();
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims);
    }

    /// <summary>Bytes of an array of this shape, or −1 when the product overflows 64 bits.</summary>
    static long ByteSize(long[] shape, int elementSize)
    {
        long bytes = elementSize;
        foreach (long d in shape)
        {
            if (d != 0 && bytes > long.MaxValue / d) return -1;
            bytes *= d;
        }
        return bytes;
    }

    static byte[] FortranToC(byte[] data, long[] shape, int size)
    {
        int rank = shape.Length;
        var result = new byte[data.Length];
        var fStrides = new long[rank];
        long stride = 1;
        for (int d = 0; d < rank; d++) { fStrides[d] = stride; stride *= shape[d]; }
        var index = new long[rank];
        long count = data.LongLength / size;
        for (long c = 0; c < count; c++)
        {
            long f = 0;
            for (int d = 0; d < rank; d++) f += index[d] * fStrides[d];
            Buffer.BlockCopy(data, (int)(f * size), result, (int)(c * size), size);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    static InvalidDataException Truncated(string source) => new($"{source}: truncated .npy header");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
