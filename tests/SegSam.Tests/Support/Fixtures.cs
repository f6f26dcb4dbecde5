namespace SegSam.Tests.Support;

/// <summary>
/// Locates the repository and the shared reference fixtures: $SEGSAM_FIXTURES when set, else
/// ../shared/fixtures next to the repository. A missing folder fails the test that needs it.
/// </summary>
public static class Fixtures
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root =>
        Environment.GetEnvironmentVariable("SEGSAM_FIXTURES") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures"));

    /// <summary>Every case folder under <c>Root/kind</c> (e.g. sam-parity), as xunit theory data.</summary>
    public static TheoryData<string> Cases(string kind)
    {
        string dir = Path.Combine(Root, kind);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"fixture folder {dir} not found; set SEGSAM_FIXTURES to the folder holding {kind}/");
        var data = new TheoryData<string>();
        foreach (var caseDir in Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal))
            data.Add(Path.GetFileName(caseDir));
        if (data.Count == 0) throw new InvalidOperationException($"no fixture cases in {dir}");
        return data;
    }

    public static string CaseDir(string kind, string name) => Path.Combine(Root, kind, name);

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SegSam.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"SegSam.slnx not found above {AppContext.BaseDirectory}");
    }
}
