namespace SegSam.Cli;

/// <summary>
/// Where the repository's own files are (bundled model, descriptions, dataset cache): the folder
/// holding SegSam.slnx above the executable, else the current directory.
/// </summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    public static string Descriptions => Path.Combine(Root, "data", "descriptions", "aal.json");
    public static string DatasetCache(int size) => Path.Combine(Root, "data", "cache", $"atlas-{size}");

    /// <summary>A relative path as given when it exists from the current directory, else under the repository.</summary>
    public static string Resolve(string path) =>
        Path.IsPathRooted(path) || File.Exists(path) || Directory.Exists(path) ? path : Path.Combine(Root, path);

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SegSam.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
