namespace SegSam.Tests.Support;

/// <summary>
/// Locates the repository and the reference fixtures: the shared ones ($SEGSAM_FIXTURES when
/// set, else ../shared/fixtures next to the repository; a missing folder fails the tests) and
/// the repository's own under tests/fixtures. A case is a folder; its name must be unique.
/// </summary>
public static class Fixtures
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root =>
        Environment.GetEnvironmentVariable("SEGSAM_FIXTURES") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures"));

    public static string RepoFixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>Every case folder under <c>Root/kind</c> and <c>tests/fixtures/kind</c>, as xunit theory data.</summary>
    public static TheoryData<string> Cases(string kind)
    {
        string shared = Path.Combine(Root, kind);
        if (!Directory.Exists(shared))
            throw new DirectoryNotFoundException($"fixture folder {shared} not found; set SEGSAM_FIXTURES to the folder holding {kind}/");
        var data = new TheoryData<string>();
        foreach (var caseDir in CaseDirs(kind)) data.Add(Path.GetFileName(caseDir));
        if (data.Count == 0) throw new InvalidOperationException($"no fixture cases in {shared}");
        return data;
    }

    public static string CaseDir(string kind, string name) =>
        CaseDirs(kind).FirstOrDefault(d => Path.GetFileName(d) == name)
        ?? throw new DirectoryNotFoundException($"fixture case {kind}/{name} not found under {Root} or {RepoFixtures}");

    static IEnumerable<string> CaseDirs(string kind) =>
        new[] { Path.Combine(Root, kind), Path.Combine(RepoFixtures, kind) }
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .OrderBy(Path.GetFileName, StringComparer.Ordinal);

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SegSam.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"SegSam.slnx not found above {AppContext.BaseDirectory}");
    }
}
