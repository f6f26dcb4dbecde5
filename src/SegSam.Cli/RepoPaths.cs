namespace SegSam.Cli;

/// <summary>
/// Where the repository's own files are (bundled model, descriptions, dataset cache): the folder
/// holding SegSam.slnx above the executable, else (an installed `segsam` tool) the files shipped
/// next to the executable, with the dataset cache under the user's cache folder.
/// </summary>
public static class RepoPaths
{
    static readonly string? Clone = FindClone();

    /// <summary>The clone's root, or the executable's folder for an installed tool.</summary>
    public static string Root { get; } = Clone ?? AppContext.BaseDirectory;

    /// <summary>True when running from a clone (./segsam), false for an installed tool.</summary>
    public static bool InClone => Clone is not null;

    public static string Descriptions => Path.Combine(Root, "data", "descriptions", "aal.json");
    public static string DatasetCache(int size) => Path.Combine(CacheRoot, $"atlas-{size}");

    /// <summary>data/cache in a clone; $XDG_CACHE_HOME/segsam (or ~/.cache/segsam) for an installed tool.</summary>
    public static string CacheRoot => Clone is not null ? Path.Combine(Clone, "data", "cache")
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "segsam");

    /// <summary>A relative path as given when it exists from the current directory, else under the repository.</summary>
    public static string Resolve(string path) =>
        Path.IsPathRooted(path) || File.Exists(path) || Directory.Exists(path) ? path : Path.Combine(Root, path);

    static string? FindClone()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SegSam.slnx"))) return dir.FullName;
        return null;
    }
}
