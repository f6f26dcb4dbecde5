using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// Whole PG-SAM models on disk (safetensors of the state_dict, the <see cref="PgSamModelConfig"/>
/// in the metadata and as a sidecar JSON), and their initialisation from SAM-family checkpoints.
/// </summary>
public static class PgSamModelCheckpoint
{
    public const string ConfigMetadataKey = "segsam.pgsam_model_config";

    public static void Save(PgSamModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        ConfiguredCheckpoint.Save(model, model.Config.ToJson(), ConfigMetadataKey, path, extraMetadata);

    /// <summary>Loads a model saved by <see cref="Save"/>, its SAM image encoder in <paramref name="precision"/>.</summary>
    public static PgSamModel Load(string path, EncoderPrecision precision = EncoderPrecision.Float32)
    {
        var config = ReadConfig(path);
        ConfiguredCheckpoint.RequireStoredValues(path, ParameterFloor.PgSamModel(config), "PG-SAM model");
        var model = ConfiguredCheckpoint.LoadInto(path, new PgSamModel(config));
        model.ImageEncoder.SetPrecision(precision);
        return model;
    }

    /// <summary>The model config from the metadata, or from a sidecar JSON that is a whole-model config (not a head's).</summary>
    public static PgSamModelConfig ReadConfig(string path) =>
        ConfiguredCheckpoint.ReadConfigJson(path, ConfigMetadataKey) is var (json, source) && json.Contains("\"lora_rank\"", StringComparison.Ordinal)
            ? PgSamModelConfig.FromJson(json, source)
            : throw new InvalidDataException($"{path}: not a PG-SAM model (no {ConfigMetadataKey} metadata)");

    /// <summary>True when the file is a whole PG-SAM model saved by <see cref="Save"/>.</summary>
    public static bool IsPgSamModel(string path) =>
        CheckpointFile.ReadMetadata(path).ContainsKey(ConfigMetadataKey);

    /// <summary>
    /// The SAM configuration of an initialisation checkpoint: a SEG-SAM model's SAM part, or the
    /// config stored with a SAM checkpoint, else the preset <paramref name="modelType"/>.
    /// </summary>
    public static SamConfig SamConfigOf(string path, string? modelType)
    {
        if (SegSamCheckpoint.IsSegSamCheckpoint(path)) return SegSamCheckpoint.ReadConfig(path).Sam;
        if (modelType is not null) return SamConfig.Preset(modelType);
        return SamCheckpoint.ConfigFromCheckpoint(path)
            ?? throw new InvalidDataException($"{path}: no model config found; pass the SAM size (--model-type)");
    }

    /// <summary>
    /// Loads public CLIP weights (<see cref="ClipWeights"/>: OpenAI or Hugging Face names) into the
    /// model's CLIP, whose architecture must be the checkpoint's; the LoRA factors keep their
    /// initial values (B = 0: CLIP's own features until trained).
    /// </summary>
    public static LoadReport InitClip(PgSamModel model, string path)
    {
        var clip = model.Clip ?? throw new InvalidOperationException("this PG-SAM model's prior does not use CLIP");
        return ClipWeights.LoadWeights(clip, path);
    }

    /// <summary>
    /// Initialises a PG-SAM model from a SAM-family checkpoint as PG-SAM's loader does: the image
    /// encoder completely (input-size tables resized), and the head's prompt encoder and mask
    /// decoder wherever SAM has a tensor of the same name and shape, except the mask tokens,
    /// hypernetwork MLPs and IoU head (PG-SAM has another number of tokens). Accepts SAM's names
    /// (<c>image_encoder.*</c>, released .pth) and SEG-SAM's (<c>sam.image_encoder.*</c>).
    /// Returns the names initialised.
    /// </summary>
    public static IReadOnlyList<string> InitFromSam(PgSamModel model, string path)
    {
        using var weights = CheckpointFile.Load(path);
        string prefix = weights.Keys.Any(k => k.StartsWith("sam.image_encoder.", StringComparison.Ordinal)) ? "sam." : "";
        if (!weights.Keys.Any(k => k.StartsWith(prefix + "image_encoder.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{path}: no SAM image encoder in this checkpoint (expected image_encoder.* or sam.image_encoder.*)");
        string[] skipped = ["mask_tokens", "output_hypernetworks_mlps", "iou_prediction_head"];
        var mapped = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, tensor) in weights)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = name[prefix.Length..];
            if (rest.StartsWith("image_encoder.", StringComparison.Ordinal)) mapped.Add(new(rest, tensor));
            else if ((rest.StartsWith("prompt_encoder.", StringComparison.Ordinal) || rest.StartsWith("mask_decoder.", StringComparison.Ordinal))
                     && !skipped.Any(s => rest.Contains(s, StringComparison.Ordinal)))
                mapped.Add(new("head." + rest, tensor));
        }
        var adapted = InputSizeAdapter.Adapt(model, mapped, out _);
        try
        {
            var target = model.state_dict();
            var encoderMissing = target.Keys.Where(k => k.StartsWith("image_encoder.", StringComparison.Ordinal) && !k.Contains(".linear_", StringComparison.Ordinal))
                .Where(k => !adapted.Any(a => a.Key == k)).ToList();
            if (encoderMissing.Count > 0)
                throw new InvalidDataException($"{path}: the image encoder does not match the model (missing {string.Join(", ", encoderMissing.Take(5))}{(encoderMissing.Count > 5 ? ", …" : "")})");
            var usable = adapted.Where(a => target.TryGetValue(a.Key, out var dest) &&
                (dest.shape.SequenceEqual(a.Value.shape) || a.Key.StartsWith("image_encoder.", StringComparison.Ordinal))).ToList();
            WeightLoader.Load(model, usable, path, strict: false);
            return usable.Select(a => a.Key).ToList();
        }
        finally
        {
            foreach (var (name, tensor) in adapted)
                if (!weights.TryGet(name.StartsWith("head.", StringComparison.Ordinal) ? prefix + name[5..] : prefix + name, out var original)
                    || !ReferenceEquals(tensor, original)) tensor.Dispose();
        }
    }
}
