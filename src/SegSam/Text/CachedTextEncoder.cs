using System.Security.Cryptography;
using System.Text;
using SegSam.IO;

namespace SegSam.Text;

/// <summary>
/// Wraps an encoder with a vector cache on disk, so that re-running does not re-pay a remote
/// embedding service. An entry is keyed by SHA-256 of (encoder Id + "\n" + text): one file may
/// serve several encoders, and a changed model or endpoint never returns stale vectors. The file
/// is rewritten atomically after each <see cref="Encode"/> that added entries; a corrupt or
/// unreadable file is reported and rebuilt, never fatal. Two processes sharing one file lose
/// nothing but each other's additions, which are recomputed.
/// <para>Format: "SSTXTC01", int32 entry count, then per entry 32 key bytes, int32 length and that
/// many float32 (all little-endian).</para>
/// </summary>
public sealed class CachedTextEncoder : ITextEncoder
{
    static readonly byte[] Magic = "SSTXTC01"u8.ToArray();
    const int MaxVectorLength = 1 << 20;

    readonly ITextEncoder _inner;
    readonly Action<string> _warn;
    readonly Dictionary<string, float[]> _entries;
    readonly Lock _lock = new();

    /// <param name="warn">Where a corrupt cache is reported; standard error by default.</param>
    public CachedTextEncoder(ITextEncoder inner, string cachePath, Action<string>? warn = null)
    {
        _inner = inner;
        CachePath = Path.GetFullPath(cachePath);
        _warn = warn ?? (message => Console.Error.WriteLine($"warning: {message}"));
        _entries = Read();
    }

    /// <summary>The cache file for a descriptions file: "aal.json" → "aal.embeddings.cache" beside it.</summary>
    public static string PathNextTo(string descriptionsPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(descriptionsPath))!, Path.GetFileNameWithoutExtension(descriptionsPath) + ".embeddings.cache");

    public string CachePath { get; }

    public string Id => _inner.Id;

    public int Dimension => _inner.Dimension;

    /// <summary>Texts answered from the cache and texts sent to the wrapped encoder, since creation.</summary>
    public int Hits { get; private set; }

    public int Misses { get; private set; }

    public float[][] Encode(IReadOnlyList<string> texts)
    {
        lock (_lock)
        {
            var keys = texts.Select(Key).ToArray();
            var missing = Enumerable.Range(0, texts.Count).Where(i => !_entries.ContainsKey(keys[i]))
                .DistinctBy(i => keys[i]).ToList();
            if (missing.Count > 0)
            {
                var vectors = _inner.Encode(missing.Select(i => texts[i]).ToList());
                for (int j = 0; j < missing.Count; j++) _entries[keys[missing[j]]] = vectors[j];
                Write();
            }
            Misses += missing.Count;
            Hits += texts.Count - missing.Count;
            return keys.Select(k => (float[])_entries[k].Clone()).ToArray();
        }
    }

    string Key(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_inner.Id + "\n" + text)));

    Dictionary<string, float[]> Read()
    {
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (!File.Exists(CachePath)) return entries;
        try
        {
            using var reader = new BinaryReader(InputFile.OpenRead(CachePath));
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not a SegSam text-embedding cache");
            int count = reader.ReadInt32();
            if (count < 0) throw new InvalidDataException($"negative entry count {count}");
            for (int i = 0; i < count; i++)
            {
                string key = Convert.ToHexString(reader.ReadBytes(32));
                int length = reader.ReadInt32();
                if (key.Length != 64 || length is < 1 or > MaxVectorLength) throw new InvalidDataException($"entry {i} is malformed");
                var bytes = reader.ReadBytes(length * sizeof(float));
                if (bytes.Length != length * sizeof(float)) throw new EndOfStreamException();
                var vector = new float[length];
                Buffer.BlockCopy(bytes, 0, vector, 0, bytes.Length);
                entries[key] = vector;
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length) throw new InvalidDataException("trailing bytes after the last entry");
            return entries;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            string why = e is EndOfStreamException ? "truncated" : e.Message;
            _warn($"text-embedding cache {CachePath} is unreadable ({why}); rebuilding it");
            return new Dictionary<string, float[]>(StringComparer.Ordinal);
        }
    }

    void Write() => AtomicFile.Write(CachePath, stream =>
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(_entries.Count);
        foreach (var (key, vector) in _entries)
        {
            writer.Write(Convert.FromHexString(key));
            writer.Write(vector.Length);
            foreach (float v in vector) writer.Write(v);
        }
    });
}
