using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// Builds a <see cref="SamModel"/> from a checkpoint (a released SAM/MedSAM/SAM-Med2D .pth or
/// our safetensors), and saves models as safetensors with their config JSON.
/// </summary>
public static class SamCheckpoint
{
    /// <summary>Metadata key under which our safetensors files carry the model config.</summary>
    public const string ConfigMetadataKey = "segsam.config";

    /// <summary>
    /// Loads a model. The config is, in order: <paramref name="config"/>, the preset
    /// <paramref name="modelType"/>, the checkpoint's own metadata, a sidecar
    /// <c>&lt;checkpoint&gt;.json</c>. Weights trained at another input size are adapted
    /// (position embeddings resized); other mismatches fail with a readable diff. The image
    /// encoder computes in <paramref name="precision"/>.
    /// </summary>
    public static SamModel Load(string path, SamConfig? config = null, string? modelType = null, bool strict = true,
                                EncoderPrecision precision = EncoderPrecision.Float32)
    {
        config ??= modelType is not null ? SamConfig.Preset(modelType) : ConfigFromCheckpoint(path)
            ?? throw new InvalidDataException(
                $"{path}: no model config found; pass --config F.json or --model-type ({string.Join(", ", SamConfig.PresetNames)})");
        using var weights = CheckpointFile.Load(path);
        var model = new SamModel(config);
        try
        {
            LoadWeights(model, weights, path, strict);
            model.ImageEncoder.SetPrecision(precision);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Copies weights into a model, resizing input-size-dependent tables where needed.</summary>
    public static LoadReport LoadWeights(nn.Module model, StateDict weights, string source, bool strict = true)
    {
        var adapted = InputSizeAdapter.Adapt(model, weights, out _);
        try
        {
            return WeightLoader.Load(model, adapted, source, strict);
        }
        finally
        {
            // Resized copies are ours; the originals belong to the state dict.
            foreach (var (name, tensor) in adapted)
                if (!ReferenceEquals(tensor, weights[name])) tensor.Dispose();
        }
    }

    /// <summary>The config stored with a checkpoint (safetensors metadata or sidecar JSON), if any.</summary>
    public static SamConfig? ConfigFromCheckpoint(string path)
    {
        var metadata = CheckpointFile.ReadMetadata(path);
        if (metadata.TryGetValue(ConfigMetadataKey, out var json)) return SamConfig.FromJson(json, $"{path} (metadata)");
        string sidecar = Path.ChangeExtension(path, ".json");
        return File.Exists(sidecar) ? SamConfig.Load(sidecar) : null;
    }

    /// <summary>
    /// Writes the model's state_dict as safetensors (config in the metadata) and the config as
    /// a sidecar JSON next to it; both writes are atomic.
    /// </summary>
    public static void Save(SamModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [ConfigMetadataKey] = model.Config.ToJson(),
        };
        SafeTensors.Write(path, model.state_dict(), metadata);
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), model.Config.ToJson());
    }
}
