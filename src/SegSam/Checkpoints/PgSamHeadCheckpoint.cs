using SegSam.Modeling;
using SegSam.Modeling.PgSam;

namespace SegSam.Checkpoints;

/// <summary>
/// PG-SAM heads on disk: safetensors of the head's state_dict with the PG-SAM config in the
/// metadata, plus the config as a sidecar JSON; also reads a head state_dict saved by the
/// reference (torch.save of the head's modules under their reference names).
/// </summary>
public static class PgSamHeadCheckpoint
{
    public const string ConfigMetadataKey = "segsam.pgsam_config";

    public static void Save(PgSamHead head, string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        ConfiguredCheckpoint.Save(head, head.Config.ToJson(), ConfigMetadataKey, path, extraMetadata);

    /// <summary>Loads a head saved by <see cref="Save"/> (config from the metadata or the sidecar JSON).</summary>
    public static PgSamHead Load(string path) => Load(path, ReadConfig(path));

    /// <summary>
    /// Builds a head from <paramref name="config"/> and loads the weights of <paramref name="path"/>
    /// (.pth or safetensors) by name; every name must match both ways, every shape exactly.
    /// </summary>
    public static PgSamHead Load(string path, PgSamConfig config)
    {
        ConfiguredCheckpoint.RequireStoredValues(path, ParameterFloor.PgSamHead(config), "PG-SAM head");
        return ConfiguredCheckpoint.LoadInto(path, new PgSamHead(config));
    }

    /// <summary>The PG-SAM config stored with a checkpoint; a clear error when there is none.</summary>
    public static PgSamConfig ReadConfig(string path) =>
        ConfiguredCheckpoint.ReadConfigJson(path, ConfigMetadataKey) is var (json, source)
            ? PgSamConfig.FromJson(json, source)
            : throw new InvalidDataException($"{path}: not a PG-SAM checkpoint (no {ConfigMetadataKey} metadata and no {Path.GetFileName(Path.ChangeExtension(path, ".json"))})");
}
