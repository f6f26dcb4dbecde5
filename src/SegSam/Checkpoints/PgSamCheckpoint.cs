using SegSam.Modeling.PgSam;

namespace SegSam.Checkpoints;

/// <summary>
/// PG-SAM heads on disk: safetensors of the head's state_dict with the PG-SAM config in the
/// metadata, plus the config as a sidecar JSON; also reads a head state_dict saved by the
/// reference (torch.save of the head's modules under their reference names).
/// </summary>
public static class PgSamCheckpoint
{
    public const string ConfigMetadataKey = "segsam.pgsam_config";

    public static void Save(PgSamHead head, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [ConfigMetadataKey] = head.Config.ToJson(),
        };
        SafeTensors.Write(path, head.state_dict(), metadata);
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), head.Config.ToJson());
    }

    /// <summary>Loads a head saved by <see cref="Save"/> (config from the metadata or the sidecar JSON).</summary>
    public static PgSamHead Load(string path) => Load(path, ReadConfig(path));

    /// <summary>
    /// Builds a head from <paramref name="config"/> and loads the weights of <paramref name="path"/>
    /// (.pth or safetensors) by name; every name must match both ways, every shape exactly.
    /// </summary>
    public static PgSamHead Load(string path, PgSamConfig config)
    {
        using var weights = CheckpointFile.Load(path);
        var head = new PgSamHead(config);
        try
        {
            WeightLoader.Load(head, weights, path);
        }
        catch
        {
            head.Dispose();
            throw;
        }
        return head;
    }

    /// <summary>The PG-SAM config stored with a checkpoint; a clear error when there is none.</summary>
    public static PgSamConfig ReadConfig(string path)
    {
        var metadata = CheckpointFile.ReadMetadata(path);
        if (metadata.TryGetValue(ConfigMetadataKey, out var json)) return PgSamConfig.FromJson(json, $"{path} (metadata)");
        string sidecar = Path.ChangeExtension(path, ".json");
        if (File.Exists(sidecar)) return PgSamConfig.FromJson(File.ReadAllText(sidecar), sidecar);
        throw new InvalidDataException($"{path}: not a PG-SAM checkpoint (no {ConfigMetadataKey} metadata and no {Path.GetFileName(sidecar)})");
    }
}
