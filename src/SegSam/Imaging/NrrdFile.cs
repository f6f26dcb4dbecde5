using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Reads NRRD images: .nrrd with the data attached after the header's blank line, or a header
/// (.nhdr) naming a "data file". Encodings raw, gzip and ascii; the geometry ("space", "space
/// directions", "space origin", else "spacings") becomes a voxel → RAS+ affine. A header with no
/// named space is taken in ITK's LPS physical space, as ITK reads it.
/// </summary>
public static partial class NrrdFile
{
    static readonly Dictionary<string, SampleType> Types = BuildTypes();

    static readonly Dictionary<string, WorldFrame> Spaces = new(StringComparer.OrdinalIgnoreCase)
    {
        ["right-anterior-superior"] = WorldFrame.Ras,
        ["RAS"] = WorldFrame.Ras,
        ["left-anterior-superior"] = WorldFrame.Las,
        ["LAS"] = WorldFrame.Las,
        ["left-posterior-superior"] = WorldFrame.Lps,
        ["LPS"] = WorldFrame.Lps,
    };

    public static Volume Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var stream = InputFile.OpenRead(path);
        var (fields, attached) = ReadHeader(stream, path);

        string typeName = Normalise(Required(fields, "type", path));
        var type = Types.GetValueOrDefault(typeName)
            ?? throw new InvalidDataException($"{path}: unknown type '{fields["type"]}' (supported: {string.Join(", ", Types.Keys)})");
        int dimension = ParseInt(Required(fields, "dimension", path), "dimension", path);
        if (dimension is < 1 or > 16) throw new InvalidDataException($"{path}: bad dimension {dimension}");
        var sizes = ParseNumbers(Required(fields, "sizes", path), dimension, "sizes", path)
            .Select(d => d >= 1 && d <= int.MaxValue && d == Math.Floor(d) ? (int)d
                : throw new InvalidDataException($"{path}: bad sizes '{fields["sizes"]}': sizes must be positive integers"))
            .ToArray();
        var (grid, affine) = Geometry(fields, sizes, path);

        string encoding = Required(fields, "encoding", path).ToLowerInvariant();
        bool bigEndian = false;
        if (type.Size > 1 && encoding is not ("ascii" or "text" or "txt"))
        {
            bigEndian = Required(fields, "endian", path).ToLowerInvariant() switch
            {
                "little" => false,
                "big" => true,
                var e => throw new InvalidDataException($"{path}: bad endian '{e}' (little or big)"),
            };
        }
        long count = Volume.CheckedVoxelCount([.. sizes.Select(s => (long)s)], type.Size, path);
        int lineSkip = fields.TryGetValue("line skip", out var ls) ? ParseInt(ls, "line skip", path) : 0;
        long byteSkip = fields.TryGetValue("byte skip", out var bs) ? ParseInt(bs, "byte skip", path) : 0;
        if (lineSkip < 0 || byteSkip < -1) throw new InvalidDataException($"{path}: bad line skip {lineSkip} or byte skip {byteSkip}");

        float[] data;
        if (fields.TryGetValue("data file", out var dataFile))
        {
            if (dataFile.StartsWith("LIST", StringComparison.Ordinal) || dataFile.Contains('%'))
                throw new InvalidDataException($"{path}: data file '{dataFile}' (a list or pattern of files) is not supported");
            string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, dataFile);
            if (!File.Exists(dataPath))
                throw new InvalidDataException($"{path}: its header names data file '{dataFile}', which does not exist (looked for {dataPath})");
            using var dataStream = InputFile.OpenRead(dataPath);
            data = ReadData(dataStream, encoding, type, count, bigEndian, lineSkip, byteSkip, $"{path} (data file {dataPath})");
        }
        else if (attached)
        {
            data = ReadData(stream, encoding, type, count, bigEndian, lineSkip, byteSkip, path);
        }
        else throw new InvalidDataException($"{path}: truncated: the header names no data file and no data follows it");

        return new Volume(grid, data, affine, path) { SourceDataType = type.Name };
    }

    /// <summary>
    /// The "field: value" lines after the NRRD000n magic, with field names lower-cased and their
    /// one-word spellings ("datafile") mapped to the spaced ones. Attached is true when a blank
    /// line ended the header, leaving the stream at the data.
    /// </summary>
    static (Dictionary<string, string> Fields, bool Attached) ReadHeader(Stream stream, string path)
    {
        string? magic = HeaderText.ReadLine(stream, path);
        if (magic is null || !MagicPattern().IsMatch(magic))
            throw new InvalidDataException($"{path}: not a NRRD file (bad magic: expected NRRD0001–NRRD0005)");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int lineNumber = 2; ; lineNumber++)
        {
            string? line = HeaderText.ReadLine(stream, path);
            if (line is null) return (fields, false);
            if (line.Length == 0) return (fields, true);
            if (line.StartsWith('#') || line.Contains(":=", StringComparison.Ordinal)) continue;
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
                throw new InvalidDataException($"{path}: bad header line {lineNumber}: '{(line.Length <= 60 ? line : line[..60] + "…")}' (expected 'field: value')");
            string field = line[..colon].Trim().ToLowerInvariant() switch
            {
                "datafile" => "data file",
                "lineskip" => "line skip",
                "byteskip" => "byte skip",
                var f => f,
            };
            fields[field] = line[(colon + 2)..].Trim();
        }
    }

    /// <summary>The voxel grid (nx, ny, nz) and voxel → RAS+ affine from the header's geometry fields.</summary>
    static (int[] Grid, double[,] Affine) Geometry(Dictionary<string, string> fields, int[] sizes, string path)
    {
        var frame = WorldFrame.Lps;
        int spaceDim = 0;
        if (fields.TryGetValue("space", out var space))
        {
            frame = Spaces.GetValueOrDefault(space)
                ?? throw new InvalidDataException($"{path}: space '{space}' is not supported (supported: {string.Join(", ", Spaces.Keys)})");
            spaceDim = 3;
        }
        else if (fields.TryGetValue("space dimension", out var sd))
        {
            spaceDim = ParseInt(sd, "space dimension", path);
            if (spaceDim is not (2 or 3)) throw new InvalidDataException($"{path}: space dimension {spaceDim} is not supported (2 or 3)");
        }

        List<double[]> steps;
        List<int> spatial;
        if (spaceDim > 0 && fields.TryGetValue("space directions", out var dirs))
        {
            var vectors = DirectionPattern().Matches(dirs).Select(m => m.Value).ToList();
            if (vectors.Count != sizes.Length)
                throw new InvalidDataException($"{path}: bad space directions '{dirs}': expected {sizes.Length} vectors or 'none'");
            spatial = Enumerable.Range(0, sizes.Length).Where(i => vectors[i] != "none").ToList();
            steps = spatial.Select(i => ParseVector(vectors[i], spaceDim, "space directions", path)).ToList();
        }
        else
        {
            var spacings = fields.TryGetValue("spacings", out var sp)
                ? sp.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v != 0 ? v : 1)
                    .ToArray()
                : [];
            if (spacings.Length is not 0 && spacings.Length != sizes.Length)
                throw new InvalidDataException($"{path}: bad spacings '{sp}': expected {sizes.Length} values");
            spatial = Enumerable.Range(0, sizes.Length).ToList();
            steps = spatial.Select(i =>
            {
                var step = new double[3];
                if (i < 3) step[i] = spacings.Length > 0 ? spacings[i] : 1;
                return step;
            }).ToList();
        }
        // A non-spatial axis of one sample (e.g. a scalar "vector" axis) changes nothing in the layout.
        foreach (int i in Enumerable.Range(0, sizes.Length).Except(spatial))
            if (sizes[i] != 1)
                throw new InvalidDataException($"{path}: axis {i} is non-spatial with {sizes[i]} samples: only scalar 2D/3D images are supported");
        if (spatial.Count is not (2 or 3))
            throw new InvalidDataException($"{path}: {spatial.Count} spatial axes: only 2D and 3D images are supported");

        double[] origin = fields.TryGetValue("space origin", out var o) && spaceDim > 0
            ? ParseVector(o.Trim(), spaceDim, "space origin", path)
            : new double[3];
        int[] grid = [sizes[spatial[0]], sizes[spatial[1]], spatial.Count == 3 ? sizes[spatial[2]] : 1];
        return (grid, frame.ToRasAffine(WorldFrame.CompleteAxes(steps), WorldFrame.Point3(origin)));
    }

    static float[] ReadData(FileStream stream, string encoding, SampleType type, long count, bool bigEndian, int lineSkip, long byteSkip, string source)
    {
        HeaderText.SkipLines(stream, lineSkip, source);
        switch (encoding)
        {
            case "raw":
                if (byteSkip == -1)
                {
                    // -1: the data is the last bytes of the file.
                    long expected = checked(count * type.Size);
                    if (stream.Length - stream.Position < expected)
                        throw new InvalidDataException($"{source}: data truncated: {stream.Length - stream.Position} bytes present, the image needs {expected}");
                    stream.Seek(stream.Length - expected, SeekOrigin.Begin);
                }
                else Skip(stream, byteSkip, source);
                return type.ReadAll(stream, count, bigEndian, requireEnd: true, stream.Length - stream.Position, source);
            case "gzip" or "gz":
            {
                if (byteSkip == -1) throw new InvalidDataException($"{source}: byte skip -1 is only allowed with raw encoding");
                long inflatable = DeflateLimit.MaxInflated(stream.Length - stream.Position);
                // Checked: every member's CRC-32 and length trailer must be there and match, so a
                // cut or corrupted file is refused rather than read short or wrong.
                using var gzip = new CheckedGzipStream(stream, source);
                // For compressed data the skip counts decompressed bytes.
                Skip(gzip, byteSkip, source);
                return type.ReadAll(gzip, count, bigEndian, requireEnd: true, inflatable - byteSkip, source);
            }
            case "ascii" or "text" or "txt":
                Skip(stream, Math.Max(byteSkip, 0), source);
                return ReadText(stream, count, source);
            default:
                throw new InvalidDataException($"{source}: encoding '{encoding}' is not supported (raw, gzip, ascii)");
        }
    }

    static float[] ReadText(Stream stream, long count, string source)
    {
        if (count > Array.MaxLength) throw new InvalidDataException($"{source}: {count} voxels are too many to load");
        using var reader = new StreamReader(stream, Encoding.Latin1, leaveOpen: true);
        var tokens = reader.ReadToEnd().Split([' ', '\t', '\r', '\n', ','], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length != count)
            throw new InvalidDataException($"{source}: data size mismatch: {tokens.Length} ascii values, the image needs {count}");
        return tokens.Select(t => float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new InvalidDataException($"{source}: bad ascii value '{t}'")).ToArray();
    }

    static void Skip(Stream stream, long bytes, string source)
    {
        var buffer = new byte[8192];
        for (long left = bytes; left > 0;)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new InvalidDataException($"{source}: data truncated: ended within the {bytes}-byte skip");
            left -= n;
        }
    }

    static double[] ParseVector(string text, int length, string field, string path)
    {
        var inner = text.Trim();
        if (!inner.StartsWith('(') || !inner.EndsWith(')'))
            throw new InvalidDataException($"{path}: bad {field} vector '{text}': expected '(x,y,z)'");
        return ParseNumbers(inner[1..^1].Replace(',', ' '), length, field, path);
    }

    static double[] ParseNumbers(string text, int count, string field, string path)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != count)
            throw new InvalidDataException($"{path}: bad {field} '{text}': expected {count} numbers, got {parts.Length}");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new InvalidDataException($"{path}: bad {field} '{text}': '{p}' is not a finite number")).ToArray();
    }

    static int ParseInt(string text, string field, string path) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : throw new InvalidDataException($"{path}: bad {field} '{text}': not an integer");

    static string Required(Dictionary<string, string> fields, string field, string path) =>
        fields.TryGetValue(field, out var v) ? v : throw new InvalidDataException($"{path}: header has no '{field}' field");

    static string Normalise(string type) => string.Join(' ', type.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Every spelling of the scalar types that the NRRD format defines.</summary>
    static Dictionary<string, SampleType> BuildTypes()
    {
        var types = new Dictionary<string, SampleType>(StringComparer.Ordinal);
        void Add(SampleType type, params string[] names) { foreach (var n in names) types[n] = type; }
        Add(SampleType.Int8, "signed char", "int8", "int8_t");
        Add(SampleType.UInt8, "uchar", "unsigned char", "uint8", "uint8_t");
        Add(SampleType.Int16, "short", "short int", "signed short", "signed short int", "int16", "int16_t");
        Add(SampleType.UInt16, "ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t");
        Add(SampleType.Int32, "int", "signed int", "int32", "int32_t");
        Add(SampleType.UInt32, "uint", "unsigned int", "uint32", "uint32_t");
        Add(SampleType.Int64, "longlong", "long long", "long long int", "signed long long", "signed long long int", "int64", "int64_t");
        Add(SampleType.UInt64, "ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t");
        Add(SampleType.Float32, "float");
        Add(SampleType.Float64, "double");
        return types;
    }

    [GeneratedRegex(@"^NRRD000[1-5]$")]
    private static partial Regex MagicPattern();
    [GeneratedRegex(@"\([^)]*\)|none")]
    private static partial Regex DirectionPattern();
}
