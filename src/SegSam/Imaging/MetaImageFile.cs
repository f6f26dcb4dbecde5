using System.Globalization;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Reads ITK's MetaImage format: .mha (text header and data in one file) and .mhd (header naming
/// a separate ElementDataFile). The geometry is ITK's, index → LPS via direction·diag(spacing) +
/// origin, returned as a voxel → RAS+ affine (first two rows negated) the way nibabel would
/// report the same image. AnatomicalOrientation is informational only, as in ITK.
/// </summary>
public static class MetaImageFile
{
    static readonly Dictionary<string, SampleType> ElementTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MET_UCHAR"] = SampleType.UInt8,
        ["MET_CHAR"] = SampleType.Int8,
        ["MET_SHORT"] = SampleType.Int16,
        ["MET_USHORT"] = SampleType.UInt16,
        ["MET_INT"] = SampleType.Int32,
        ["MET_UINT"] = SampleType.UInt32,
        ["MET_LONG_LONG"] = SampleType.Int64,
        ["MET_ULONG_LONG"] = SampleType.UInt64,
        ["MET_FLOAT"] = SampleType.Float32,
        ["MET_DOUBLE"] = SampleType.Float64,
    };

    public static Volume Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var stream = InputFile.OpenRead(path);
        var header = ReadHeader(stream, path);

        if (header.TryGetValue("ObjectType", out var objectType) && !objectType.Equals("Image", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: ObjectType is '{objectType}', not an Image");
        if (header.TryGetValue("BinaryData", out var binary) && !ParseBool(binary, "BinaryData", path))
            throw new InvalidDataException($"{path}: ASCII MetaImage data (BinaryData = False) is not supported");

        int nDims = ParseInt(Required(header, "NDims", path), "NDims", path);
        if (nDims is not (2 or 3)) throw new InvalidDataException($"{path}: NDims = {nDims} is not supported (2 or 3)");
        var dims = ParseNumbers(Required(header, "DimSize", path), nDims, "DimSize", path)
            .Select(d => d >= 1 && d <= int.MaxValue && d == Math.Floor(d) ? (int)d
                : throw new InvalidDataException($"{path}: bad DimSize '{header["DimSize"]}': sizes must be positive integers"))
            .ToArray();
        string elementType = Required(header, "ElementType", path);
        var type = ElementTypes.GetValueOrDefault(elementType)
            ?? throw new InvalidDataException($"{path}: unknown ElementType '{elementType}' (supported: {string.Join(", ", ElementTypes.Keys)})");
        if (header.TryGetValue("ElementNumberOfChannels", out var channels) && ParseInt(channels, "ElementNumberOfChannels", path) != 1)
            throw new InvalidDataException($"{path}: ElementNumberOfChannels = {channels}: only scalar images are supported");

        var affine = Affine(header, nDims, path);
        bool bigEndian = ParseBool(Optional(header, "BinaryDataByteOrderMSB", "ElementByteOrderMSB") ?? "False", "BinaryDataByteOrderMSB", path);
        bool compressed = ParseBool(Optional(header, "CompressedData") ?? "False", "CompressedData", path);
        long headerSize = header.TryGetValue("HeaderSize", out var hs) ? ParseInt(hs, "HeaderSize", path) : 0;
        if (headerSize < -1) throw new InvalidDataException($"{path}: bad HeaderSize {headerSize}");
        if (headerSize == -1 && compressed)
            throw new InvalidDataException($"{path}: HeaderSize = -1 cannot locate compressed data");

        long count = Volume.CheckedVoxelCount([dims[0], dims[1], nDims == 3 ? dims[2] : 1], type.Size, path);
        string dataFile = Required(header, "ElementDataFile", path);
        float[] data;
        if (dataFile.Equals("LOCAL", StringComparison.OrdinalIgnoreCase))
        {
            data = ReadData(stream, headerSize, count, type, bigEndian, compressed, path);
        }
        else
        {
            if (dataFile.Equals("LIST", StringComparison.OrdinalIgnoreCase) || dataFile.Contains('%'))
                throw new InvalidDataException($"{path}: ElementDataFile '{dataFile}' (a list or pattern of slice files) is not supported");
            string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, dataFile);
            if (!File.Exists(dataPath))
                throw new InvalidDataException($"{path}: its header names data file '{dataFile}', which does not exist (looked for {dataPath})");
            using var dataStream = InputFile.OpenRead(dataPath);
            data = ReadData(dataStream, headerSize, count, type, bigEndian, compressed, $"{path} (data file {dataPath})");
        }
        return new Volume([dims[0], dims[1], nDims == 3 ? dims[2] : 1], data, affine, path) { SourceDataType = type.Name };
    }

    /// <summary>
    /// Key = value lines up to and including ElementDataFile, which MetaImage requires to be the
    /// last; the stream is left at the byte after it, where a .mha's data starts.
    /// </summary>
    static Dictionary<string, string> ReadHeader(Stream stream, string path)
    {
        var header = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int lineNumber = 1; ; lineNumber++)
        {
            string line = HeaderText.ReadLine(stream, path)
                ?? throw new InvalidDataException($"{path}: truncated header: no ElementDataFile line (not a MetaImage?)");
            if (line.Trim().Length == 0) continue;
            int eq = line.IndexOf('=');
            string key = eq > 0 ? line[..eq].Trim() : "";
            // ITK also writes metadata keys such as "0008|0060", so any printable word is a key.
            if (key.Length == 0 || key.Any(c => c <= ' ' || c > '~'))
                throw new InvalidDataException($"{path}: bad header line {lineNumber}: '{Shorten(line)}' (expected 'Key = Value'; not a MetaImage?)");
            header[key] = line[(eq + 1)..].Trim();
            if (key.Equals("ElementDataFile", StringComparison.OrdinalIgnoreCase)) return header;
        }
    }

    static float[] ReadData(FileStream stream, long headerSize, long count, SampleType type, bool bigEndian, bool compressed, string source)
    {
        long expected = count * type.Size; // count ≤ Array.MaxLength: checked by the caller
        if (headerSize == -1)
        {
            // -1: the data is the last bytes of the file, whatever precedes it.
            if (stream.Length < expected)
                throw new InvalidDataException($"{source}: data truncated: file holds {stream.Length} bytes, the image needs {expected}");
            stream.Seek(stream.Length - expected, SeekOrigin.Begin);
        }
        else if (headerSize > 0)
        {
            stream.Seek(headerSize, SeekOrigin.Begin);
        }
        long rest = stream.Length - stream.Position;
        if (!compressed) return type.ReadAll(stream, count, bigEndian, requireEnd: true, rest, source);
        using var zlib = new CheckedZlibStream(stream, source);
        return type.ReadAll(zlib, count, bigEndian, requireEnd: true, DeflateLimit.MaxInflated(rest), source);
    }

    static double[,] Affine(Dictionary<string, string> header, int n, string path)
    {
        double[] spacing = Optional(header, "ElementSpacing", "ElementSize") is { } s
            ? ParseNumbers(s, n, "ElementSpacing", path) : Enumerable.Repeat(1.0, n).ToArray();
        double[] origin = Optional(header, "Offset", "Origin", "Position") is { } o
            ? ParseNumbers(o, n, "Offset", path) : new double[n];
        double[] matrix = Optional(header, "TransformMatrix", "Rotation", "Orientation") is { } m
            ? ParseNumbers(m, n * n, "TransformMatrix", path)
            : Enumerable.Range(0, n * n).Select(i => i % (n + 1) == 0 ? 1.0 : 0.0).ToArray();
        // ITK reads TransformMatrix in groups of n as the directions of successive image axes.
        var steps = Enumerable.Range(0, n)
            .Select(axis => Enumerable.Range(0, n).Select(r => matrix[axis * n + r] * spacing[axis]).ToArray())
            .ToList();
        return WorldFrame.Lps.ToRasAffine(WorldFrame.CompleteAxes(steps), WorldFrame.Point3(origin));
    }

    static string Required(Dictionary<string, string> header, string key, string path) =>
        header.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: header has no {key}");

    static string? Optional(Dictionary<string, string> header, params string[] synonyms) =>
        synonyms.Select(k => header.GetValueOrDefault(k)).FirstOrDefault(v => v is not null);

    static double[] ParseNumbers(string text, int count, string key, string path)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != count)
            throw new InvalidDataException($"{path}: bad {key} '{text}': expected {count} numbers, got {parts.Length}");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new InvalidDataException($"{path}: bad {key} '{text}': '{p}' is not a finite number")).ToArray();
    }

    static int ParseInt(string text, string key, string path) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw new InvalidDataException($"{path}: bad {key} '{text}': not an integer");

    static bool ParseBool(string text, string key, string path) => text.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new InvalidDataException($"{path}: bad {key} '{text}': expected True or False"),
    };

    static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "…";
}
