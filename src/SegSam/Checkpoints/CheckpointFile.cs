using TorchSharp;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// Entry point for reading model weights from .pth/.pt (torch.save) and .safetensors files, with
/// the format detected from the file's content rather than its extension, and for saving safetensors.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Loads the state dict of a checkpoint; the caller owns (and must dispose) the result.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a readable, safe checkpoint.</exception>
    public static StateDict Load(string path) => DetectFormat(path) switch
    {
        CheckpointFormat.TorchZip => TorchZipCheckpoint.Load(path),
        _ => SafeTensors.Read(path).Tensors,
    };

    /// <summary>The string metadata of a safetensors file; empty for torch.save checkpoints, which have none.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => DetectFormat(path) switch
    {
        CheckpointFormat.TorchZip => new Dictionary<string, string>(),
        _ => SafeTensors.ReadMetadata(path),
    };

    /// <summary>Name, dtype and shape of every tensor <see cref="Load"/> would return, without reading tensor data.</summary>
    public static IReadOnlyList<TensorInfo> Inspect(string path) => DetectFormat(path) switch
    {
        CheckpointFormat.TorchZip => TorchZipCheckpoint.Inspect(path),
        _ => SafeTensors.Inspect(path),
    };

    /// <summary>Writes <paramref name="stateDict"/> (and optional metadata) as a safetensors file, atomically.</summary>
    public static void SaveSafetensors(string path, StateDict stateDict, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        SafeTensors.Write(path, stateDict, metadata);
    }

    /// <summary>Identifies a checkpoint's format from its first bytes.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The format is not recognised or not supported.</exception>
    public static CheckpointFormat DetectFormat(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);

        Span<byte> start = stackalloc byte[16];
        long length;
        int read;
        using (var stream = InputFile.OpenRead(path))
        {
            length = stream.Length;
            read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }
        start = start[..read];

        if (length == 0)
            throw new CheckpointFormatException(path, "is empty, not a checkpoint");
        // Local file header, or the end-of-central-directory record of a zip with no entries.
        if (start.StartsWith("PK\x03\x04"u8) || start.StartsWith("PK\x05\x06"u8))
            return CheckpointFormat.TorchZip;
        // torch.save before 1.6 wrote a bare pickle stream starting with a protocol-2 magic number.
        if (read >= 2 && start[0] == 0x80 && start[1] is >= 2 and <= 5)
            throw new CheckpointFormatException(path,
                "uses the legacy (pre-1.6) torch.save format, which is not supported; re-save it with torch >= 1.6 " +
                "(torch.save(torch.load(path), new_path) writes the zip format) or convert it to safetensors");
        if (SafeTensors.LooksLike(start, length))
            return CheckpointFormat.Safetensors;
        throw new CheckpointFormatException(path,
            "is not a recognised checkpoint (expected a torch.save zip archive or a safetensors file)");
    }
}
