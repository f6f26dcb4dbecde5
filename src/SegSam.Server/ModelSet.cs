using SegSam.Checkpoints;

namespace SegSam.Server;

/// <summary>
/// The models the server was started with, loaded once: a session owns its cache, not its
/// models, so they live as long as the server and are disposed with it. A file is a PG-SAM model
/// when <see cref="PgSamModelCheckpoint.IsPgSamModel"/> says so (the rule `segsam segment` uses),
/// otherwise a SEG-SAM model.
/// </summary>
public sealed class ModelSet : IDisposable
{
    public ModelSet(IEnumerable<string> paths)
    {
        var models = new List<LoadedModel>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
            string name = UniqueName(models, Path.GetFileNameWithoutExtension(path));
            models.Add(PgSamModelCheckpoint.IsPgSamModel(path)
                ? new LoadedModel(name, null, PgSamModelCheckpoint.Load(path))
                : new LoadedModel(name, SegSamCheckpoint.Load(path), null));
        }
        All = models;
    }

    public IReadOnlyList<LoadedModel> All { get; }

    /// <summary>The SEG-SAM model named <paramref name="name"/>, or the first one (null when none is loaded); 400 for an unknown name.</summary>
    public LoadedModel? Prompted(string? name) => Pick(name, LoadedModel.SegSamKind);

    /// <summary>The PG-SAM model named <paramref name="name"/>, or the first one (null when none is loaded); 400 for an unknown name.</summary>
    public LoadedModel? PromptFree(string? name) => Pick(name, LoadedModel.PgSamKind);

    LoadedModel? Pick(string? name, string kind)
    {
        var candidates = All.Where(m => m.Kind == kind).ToList();
        if (name is null) return candidates.FirstOrDefault();
        return candidates.FirstOrDefault(m => m.Name == name)
            ?? throw new ApiProblem(StatusCodes.Status400BadRequest,
                $"no {kind} model named '{name}'; loaded {kind} models: {(candidates.Count == 0 ? "none" : string.Join(", ", candidates.Select(m => m.Name)))}");
    }

    static string UniqueName(List<LoadedModel> models, string name)
    {
        string unique = name;
        for (int i = 2; models.Any(m => m.Name == unique); i++) unique = $"{name}-{i}";
        return unique;
    }

    public void Dispose()
    {
        foreach (var m in All)
        {
            m.SegSam?.Dispose();
            m.PgSam?.Dispose();
        }
    }
}
