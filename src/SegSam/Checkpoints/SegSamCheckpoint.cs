using SegSam.IO;
using SegSam.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// SEG-SAM models on disk: safetensors of the whole state_dict with the SEG-SAM config (and any
/// training facts) in the metadata, plus the config as a sidecar JSON. Also initialises a SEG-SAM
/// model's SAM part from a released SAM / MedSAM / SAM-Med2D checkpoint.
/// </summary>
public static class SegSamCheckpoint
{
    public const string ConfigMetadataKey = "segsam.segsam_config";

    public static void Save(SegSamModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        ConfiguredCheckpoint.Save(model, model.Config.ToJson(), ConfigMetadataKey, path, extraMetadata);

    /// <summary>
    /// Loads a model saved by <see cref="Save"/> (config from the metadata or sidecar JSON), its
    /// image encoder in <paramref name="precision"/>.
    /// </summary>
    public static SegSamModel Load(string path, EncoderPrecision precision = EncoderPrecision.Float32)
    {
        var config = ReadConfig(path);
        ConfiguredCheckpoint.RequireStoredValues(path, ParameterFloor.SegSam(config), "SEG-SAM model");
        var model = ConfiguredCheckpoint.LoadInto(path, new SegSamModel(config));
        model.Sam.ImageEncoder.SetPrecision(precision);
        return model;
    }

    /// <summary>
    /// Writes a copy of a SEG-SAM checkpoint whose config answers prompts with test-time mirroring by
    /// default, or not (<see cref="SegSamConfig.TestTimeMirroring"/>): the same weights and training
    /// facts, for a model trained with left–right flips before training recorded it, or to change a default.
    /// </summary>
    public static void SetTestTimeMirroring(string path, bool on, string outputPath)
    {
        InputFile.CheckRegular(path);
        if (!IsSegSamCheckpoint(path)) throw new InvalidDataException($"{path}: not a SEG-SAM model (test-time mirroring is a SEG-SAM option)");
        var facts = CheckpointFile.ReadMetadata(path).Where(m => m.Key != ConfigMetadataKey).ToDictionary(m => m.Key, m => m.Value);
        using var model = Load(path);
        using var changed = new SegSamModel(model.Config with { TestTimeMirroring = on });
        changed.load_state_dict(model.state_dict());
        Save(changed, outputPath, facts);
    }

    /// <summary>The SEG-SAM config stored with a checkpoint; a clear error when there is none.</summary>
    public static SegSamConfig ReadConfig(string path) =>
        ConfiguredCheckpoint.ReadConfigJson(path, ConfigMetadataKey) is var (json, source)
            ? SegSamConfig.FromJson(json, source)
            : throw new InvalidDataException($"{path}: not a SEG-SAM checkpoint (no {ConfigMetadataKey} metadata and no {Path.GetFileName(Path.ChangeExtension(path, ".json"))})");

    /// <summary>True when the file carries a SEG-SAM config (as opposed to a plain SAM checkpoint).</summary>
    public static bool IsSegSamCheckpoint(string path)
    {
        try
        {
            ReadConfig(path);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// Copies a released SAM-family checkpoint into the SAM part of a SEG-SAM model (input-size
    /// tables resized as for SAM); the semantic parts keep their initialisation.
    /// </summary>
    public static LoadReport LoadSamWeights(SegSamModel model, string samCheckpoint)
    {
        using var weights = CheckpointFile.Load(samCheckpoint);
        return SamCheckpoint.LoadWeights(model.Sam, weights, samCheckpoint);
    }
}
