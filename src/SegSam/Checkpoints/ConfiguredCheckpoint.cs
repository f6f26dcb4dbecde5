using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// What our model files share: safetensors of a module's state_dict with its config JSON in the
/// metadata under a key, the same JSON as a sidecar next to the file (both written atomically),
/// and loading by name with every name and shape checked.
/// </summary>
public static class ConfiguredCheckpoint
{
    public static void Save(nn.Module model, string configJson, string metadataKey, string path, IReadOnlyDictionary<string, string>? extraMetadata)
    {
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [metadataKey] = configJson,
        };
        SafeTensors.Write(path, model.state_dict(), metadata);
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), configJson);
    }

    /// <summary>Loads <paramref name="path"/>'s weights (.pth or safetensors) into a new model; disposes it if they do not fit.</summary>
    public static TModel LoadInto<TModel>(string path, TModel model) where TModel : nn.Module
    {
        try
        {
            using var weights = CheckpointFile.Load(path);
            WeightLoader.Load(model, weights, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Refuses, before anything is built, a file that stores far fewer values than the model its
    /// config describes must have (<see cref="Modeling.ParameterFloor"/>): loading is by exact name
    /// and shape, so such a file cannot load, and building first would let a few-byte config
    /// allocate gigabytes. Near misses (twice the stored values, or 10⁷ more) are left to the load,
    /// whose report names every tensor that differs.
    /// </summary>
    public static void RequireStoredValues(string path, double parameterFloor, string what)
    {
        double stored = CheckpointFile.Inspect(path).Sum(tensor => (double)tensor.NumElements);
        if (parameterFloor > Math.Max(2 * stored, stored + 1e7))
            throw new CheckpointFormatException(path, $"its config describes a {what} of at least {parameterFloor:G3} parameters, but the file stores only {stored:G3} values");
    }

    /// <summary>The config JSON stored under <paramref name="metadataKey"/>, else the sidecar's (with where it came from); null when neither exists.</summary>
    public static (string Json, string Source)? ReadConfigJson(string path, string metadataKey)
    {
        var metadata = CheckpointFile.ReadMetadata(path);
        if (metadata.TryGetValue(metadataKey, out var json)) return (json, $"{path} (metadata)");
        string sidecar = Path.ChangeExtension(path, ".json");
        return File.Exists(sidecar) ? (InputFile.ReadAllText(sidecar), sidecar) : null;
    }
}
