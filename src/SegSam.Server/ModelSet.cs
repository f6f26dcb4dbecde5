using SegSam.Checkpoints;

namespace SegSam.Server;

/// <summary>
/// The models the server was started with, loaded once: a session owns its cache, not its
/// models, so they live as long as the server and are disposed with it.
/// </summary>
public sealed class ModelSet : IDisposable
{
    public ModelSet(IEnumerable<string> paths)
    {
        var models = new List<LoadedModel>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
            models.Add(new LoadedModel(UniqueName(models, Path.GetFileNameWithoutExtension(path)), SegSamCheckpoint.Load(path)));
        }
        All = models;
    }

    public IReadOnlyList<LoadedModel> All { get; }

    /// <summary>The named model, or the first when <paramref name="name"/> is null; 400 when there is none such.</summary>
    public LoadedModel Get(string? name)
    {
        if (All.Count == 0) throw new ApiProblem(StatusCodes.Status400BadRequest, "the server has no SEG-SAM model: start it with --model");
        if (name is null) return All[0];
        return All.FirstOrDefault(m => m.Name == name)
            ?? throw new ApiProblem(StatusCodes.Status400BadRequest, $"no model named '{name}'; loaded: {string.Join(", ", All.Select(m => m.Name))}");
    }

    static string UniqueName(List<LoadedModel> models, string name)
    {
        string unique = name;
        for (int i = 2; models.Any(m => m.Name == unique); i++) unique = $"{name}-{i}";
        return unique;
    }

    public void Dispose()
    {
        foreach (var m in All) m.Model.Dispose();
    }
}
