using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// Reads the zip checkpoint format of torch.save (PyTorch ≥ 1.6): &lt;prefix&gt;/data.pkl describes
/// the object tree, &lt;prefix&gt;/data/&lt;key&gt; hold raw storage bytes, and an optional
/// &lt;prefix&gt;/byteorder says whether those bytes are little- or big-endian.
/// </summary>
internal static class TorchZipCheckpoint
{
    // data.pkl only describes tensors (their bytes live elsewhere); anything this large is not a checkpoint.
    private const long MaxPickleBytes = 1L << 30;

    /// <summary>Loads the state dict (see <see cref="StateDictLocator"/>) with every tensor owning its own memory.</summary>
    public static StateDict Load(string path)
    {
        using var archive = CheckpointArchive.Open(path);
        var entries = StateDictLocator.Locate(archive.ReadRoot(), path);
        foreach (var (name, spec) in entries) Validate(spec, name, path);

        var usesLeft = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, spec) in entries)
            usesLeft[spec.Storage.Key] = usesLeft.GetValueOrDefault(spec.Storage.Key) + 1;

        var result = new StateDict();
        try
        {
            using var scope = torch.NewDisposeScope();
            var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, spec) in entries)
            {
                string key = spec.Storage.Key;
                if (!storages.TryGetValue(key, out var flat))
                    storages[key] = flat = archive.ReadStorage(spec.Storage);
                bool lastUse = --usesLeft[key] == 0;

                var view = flat.as_strided(spec.Size, spec.Stride, spec.StorageOffset);
                Tensor tensor;
                if (lastUse && spec.StorageOffset == 0 && spec.NumElements == spec.Storage.NumElements && view.is_contiguous())
                {
                    // The tensor is its whole storage and nothing else uses it: keep it without a copy.
                    tensor = view;
                }
                else
                {
                    // Copy so that views, shared storages and strided layouts become independent,
                    // contiguous tensors.
                    tensor = torch.empty(spec.Size, spec.Storage.DType);
                    tensor.copy_(view);
                    view.Dispose(); // the view pins the whole storage; release it now, not at scope end
                }

                if (lastUse)
                {
                    storages.Remove(key);
                    flat.Dispose();
                }
                result.Add(name, tensor.DetachFromDisposeScope());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Lists the state dict's tensors without reading their data.</summary>
    public static IReadOnlyList<TensorInfo> Inspect(string path)
    {
        using var archive = CheckpointArchive.Open(path);
        var entries = StateDictLocator.Locate(archive.ReadRoot(), path);
        var infos = new List<TensorInfo>(entries.Count);
        foreach (var (name, spec) in entries)
        {
            Validate(spec, name, path);
            archive.CheckRecord(spec.Storage);
            infos.Add(new TensorInfo(name, DTypes.Name(spec.Storage.DType), (long[])spec.Size.Clone()));
        }
        return infos;
    }

    // Checks that the strided view stays inside its storage, so as_strided never reads out of bounds.
    private static void Validate(TensorSpec spec, string name, string path)
    {
        if (spec.StorageOffset < 0 || spec.Size.Any(s => s < 0) || spec.Stride.Any(s => s < 0))
            throw new CheckpointFormatException(path, $"tensor '{name}' has a negative size, stride or storage offset");
        try
        {
            if (spec.NumElements == 0) return;
            long last = spec.StorageOffset;
            for (int i = 0; i < spec.Size.Length; i++)
                last = checked(last + (spec.Size[i] - 1) * spec.Stride[i]);
            if (last >= spec.Storage.NumElements)
                throw new CheckpointFormatException(path,
                    $"tensor '{name}' (size [{string.Join(", ", spec.Size)}], stride [{string.Join(", ", spec.Stride)}], " +
                    $"offset {spec.StorageOffset}) reaches element {last} but its storage '{spec.Storage.Key}' " +
                    $"has only {spec.Storage.NumElements} elements");
        }
        catch (OverflowException e)
        {
            throw new CheckpointFormatException(path, $"tensor '{name}' has sizes or strides that overflow", e);
        }
    }

    /// <summary>An open torch.save zip archive: locates its records and reads them with clear errors.</summary>
    private sealed class CheckpointArchive : IDisposable
    {
        private readonly string _path;
        private readonly ZipArchive _zip;
        private readonly string _prefix;
        private readonly bool _bigEndian;

        private CheckpointArchive(string path, ZipArchive zip, string prefix, bool bigEndian)
        {
            _path = path;
            _zip = zip;
            _prefix = prefix;
            _bigEndian = bigEndian;
        }

        public static CheckpointArchive Open(string path)
        {
            var stream = InputFile.OpenRead(path);
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
                _ = zip.Entries.Count; // the central directory is read here, so its errors are reported as the file's
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                stream.Dispose();
                throw new CheckpointFormatException(path, $"is not a readable zip archive (truncated or corrupt?): {e.Message}", e);
            }

            try
            {
                // The prefix is whatever folder torch.save chose ('archive', or the file's stem in older versions).
                var pickle = zip.Entries.FirstOrDefault(e =>
                    e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) &&
                    e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length);
                if (pickle is null)
                    throw new CheckpointFormatException(path,
                        "is a zip file but not a torch.save checkpoint (no '<name>/data.pkl' record)");
                string prefix = pickle.FullName[..^"data.pkl".Length];

                bool bigEndian = false;
                if (zip.GetEntry(prefix + "byteorder") is { } order)
                {
                    string text = Encoding.ASCII.GetString(ReadAll(order, 64, path)).Trim();
                    bigEndian = text switch
                    {
                        "little" => false,
                        "big" => true,
                        _ => throw new CheckpointFormatException(path, $"has an unknown byteorder record '{text}'"),
                    };
                }
                return new CheckpointArchive(path, zip, prefix, bigEndian);
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }

        public object? ReadRoot()
        {
            var entry = _zip.GetEntry(_prefix + "data.pkl")!;
            return PickleReader.Load(ReadAll(entry, MaxPickleBytes, _path), _path);
        }

        /// <summary>
        /// The zip entry of storage record data/&lt;key&gt;, checked: the key is a plain record name
        /// (torch.save numbers them; a path such as "../x" can only be an attack), the record
        /// exists and holds at least the storage's bytes. Loading and inspecting share this check.
        /// </summary>
        public ZipArchiveEntry CheckRecord(StorageRef storage)
        {
            string key = storage.Key;
            if (key.Length == 0 || key.Length > 256 || key is "." or ".." || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw new CheckpointFormatException(_path, $"names a storage record '{Printable(key)}' that is not a plain record name");
            string name = _prefix + "data/" + key;
            var entry = _zip.GetEntry(name)
                ?? throw new CheckpointFormatException(_path, $"is missing the storage record '{name}' (file truncated or corrupt?)");
            long needed;
            try
            {
                needed = checked(storage.NumElements * DTypes.ElementSize(storage.DType));
            }
            catch (OverflowException e)
            {
                throw new CheckpointFormatException(_path, $"storage record '{name}' declares {storage.NumElements} elements, too many to hold", e);
            }
            if (DeflateLimit.ImplausibleSize(entry) is { } problem)
                throw new CheckpointFormatException(_path, $"storage record '{name}': {problem}");
            if (entry.Length < needed)
                throw new CheckpointFormatException(_path,
                    $"storage record '{name}' holds {entry.Length} bytes but {storage.NumElements} " +
                    $"{DTypes.Name(storage.DType)} elements need {needed}");
            return entry;
        }

        static string Printable(string text) =>
            string.Concat(text.Take(80).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

        /// <summary>Reads the storage record data/&lt;key&gt; into a flat tensor of its dtype.</summary>
        public Tensor ReadStorage(StorageRef storage)
        {
            var entry = CheckRecord(storage);
            string name = entry.FullName;
            try
            {
                using var s = entry.Open();
                return TensorBytes.ReadFlat(s, storage.DType, storage.NumElements, _bigEndian);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new CheckpointFormatException(_path, $"cannot read storage record '{name}': {e.Message}", e);
            }
        }

        private static byte[] ReadAll(ZipArchiveEntry entry, long maxBytes, string path)
        {
            if (entry.Length > maxBytes)
                throw new CheckpointFormatException(path, $"record '{entry.FullName}' is implausibly large ({entry.Length} bytes)");
            if (DeflateLimit.ImplausibleSize(entry) is { } problem)
                throw new CheckpointFormatException(path, $"record '{entry.FullName}': {problem}");
            try
            {
                var buffer = new byte[entry.Length];
                using var s = entry.Open();
                s.ReadExactly(buffer);
                return buffer;
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new CheckpointFormatException(path, $"cannot read record '{entry.FullName}': {e.Message}", e);
            }
        }

        public void Dispose() => _zip.Dispose();
    }
}
