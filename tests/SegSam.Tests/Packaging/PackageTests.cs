using System.Diagnostics;
using System.Text.RegularExpressions;
using SegSam.Tests.Support;

namespace SegSam.Tests.Packaging;

/// <summary>
/// What a .NET team gets from `dotnet pack` (docs/packaging.md): the SegSam package builds
/// samples/QuickStart in a clean folder with its own nuget.config (the packed folder plus the
/// machine's sources), and that program prints what the README says; the SegSam.Cli package installs
/// as the `segsam` tool into a temporary tool path and runs `info` and `demo`. Each pack gets a unique
/// prerelease version so that the global packages folder (reused: libtorch is hundreds of MB) cannot
/// hand back an older SegSam; that version's copy is removed from it afterwards.
/// </summary>
[Collection(nameof(Serial))]
public sealed class PackageTests
{
    static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";

    static string Ch2 => "/usr/share/mricron/templates/ch2.nii.gz";

    [Fact]
    public void QuickStartSampleBuildsFromThePackedPackageAndPrintsWhatTheReadmeSays()
    {
        using var dir = new TempDir();
        string packages = Directory.CreateDirectory(dir.File("packages")).FullName;
        string version = Pack("src/SegSam/SegSam.csproj", packages);
        try
        {
            Assert.True(File.Exists(Path.Combine(packages, $"SegSam.{version}.nupkg")), $"no SegSam.{version}.nupkg in {packages}");
            string sample = Directory.CreateDirectory(dir.File("QuickStart")).FullName;
            foreach (var file in new[] { "QuickStart.csproj", "Program.cs" })
                File.Copy(Path.Combine(Fixtures.RepoRoot, "samples", "QuickStart", file), Path.Combine(sample, file));
            WriteNugetConfig(sample, packages);

            var build = Run(sample, "dotnet", "build", "-c", "Release", "--nologo", $"-p:SegSamVersion={version}");
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.DoesNotMatch(new Regex(@"warning (NU|MSB)\d+"), build.StdOut);
            string output = Path.Combine(sample, "bin", "Release", "net10.0");
            Assert.True(File.Exists(Path.Combine(output, "models", "segsam-atlas.safetensors")), "the package did not copy the bundled model");
            Assert.True(File.Exists(Path.Combine(output, "libsegsam_mklcpu.so")), "the package did not copy libsegsam_mklcpu.so");
            string libTorchSharp = Directory.GetFiles(output, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
            Assert.True(WeakGlibcxx(libTorchSharp), $"{libTorchSharp}: GLIBCXX_3.4.32 is not weak (buildTransitive patch missing)");

            var publish = Run(sample, "dotnet", "publish", "-c", "Release", "--no-build", "--nologo", $"-p:SegSamVersion={version}");
            Assert.True(publish.ExitCode == 0, publish.ToString());
            var publishedCopies = Directory.GetFiles(Path.Combine(output, "publish"), "libLibTorchSharp.so", SearchOption.AllDirectories);
            Assert.NotEmpty(publishedCopies);
            foreach (var published in publishedCopies)
                Assert.True(WeakGlibcxx(published), $"{published}: GLIBCXX_3.4.32 is not weak after dotnet publish");
            Assert.True(File.Exists(Path.Combine(output, "publish", "models", "segsam-atlas.safetensors")), "dotnet publish left out the bundled model");

            var run = Run(sample, "dotnet", Path.Combine(output, "QuickStart.dll"));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("label:         Putamen_L", run.StdOut);
            string readme = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "README.md"));
            Assert.True(readme.Contains(run.StdOut.Trim().ReplaceLineEndings("\n")),
                $"README.md's \"Use SegSam from your .NET code\" must show what the sample prints:\n{run.StdOut}");
            Assert.True(readme.Contains(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "samples", "QuickStart", "Program.cs")).Trim().ReplaceLineEndings("\n")),
                "README.md's \"Use SegSam from your .NET code\" must show samples/QuickStart/Program.cs as it is");
            Assert.True(File.Exists(Path.Combine(sample, "out", "quickstart", "labels.nii.gz")), run.ToString());
        }
        finally { RemoveFromGlobalPackages("segsam", version); }
    }

    [Fact]
    public void ToolInstallsFromThePackedFolderAndRunsInfoAndDemo()
    {
        using var dir = new TempDir();
        string packages = Directory.CreateDirectory(dir.File("packages")).FullName;
        string version = Pack("src/SegSam.Cli/SegSam.Cli.csproj", packages);
        string tools = dir.File("tools");
        var install = Run(dir.Path, "dotnet", "tool", "install", "SegSam.Cli", "--tool-path", tools, "--add-source", packages, "--version", version);
        Assert.True(install.ExitCode == 0, install.ToString());
        string segsam = Path.Combine(tools, "segsam");
        Assert.True(File.Exists(segsam), install.ToString());
        // What the tool carries besides the CLI: the model, the viewer (NiiVue when it was installed at pack time).
        string[] carried = Directory.GetFiles(tools, "*", SearchOption.AllDirectories).ToArray();
        foreach (var file in new[] { "/models/segsam-atlas.safetensors", "/models/pgsam-atlas-lobes.safetensors", "/wwwroot/index.html", "/wwwroot/app.js", "/libsegsam_mklcpu.so" })
            Assert.True(carried.Any(f => f.EndsWith(file)), $"the tool does not carry {file}");
        if (File.Exists(Path.Combine(Fixtures.RepoRoot, "src", "SegSam.Server", "node_modules", "@niivue", "niivue", "dist", "index.js")))
            Assert.True(carried.Any(f => f.EndsWith("/wwwroot/niivue/niivue.js")), "the tool does not carry NiiVue although it was installed");

        string work = Directory.CreateDirectory(dir.File("work")).FullName;   // no clone above it
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = dir.File("cache") };
        var info = Run(work, segsam, env, "info", Ch2);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("181 × 217 × 181", info.StdOut);

        var demo = Run(work, segsam, env, "demo");
        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("SegSam demo — 374 held-out objects", demo.StdOut);
        Assert.True(File.Exists(Path.Combine(work, "out", "demo", "report.html")), demo.ToString());
        Assert.True(File.Exists(Path.Combine(dir.File("cache"), "segsam", "atlas-128", "test", "meta.json")), "the tool's dataset cache is not under XDG_CACHE_HOME/segsam");
    }

    /// <summary>Packs a project (already built by the solution's build) with a unique prerelease version.</summary>
    static string Pack(string project, string into)
    {
        string version = $"0.0.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var pack = Run(Fixtures.RepoRoot, "dotnet", "pack", Path.Combine(Fixtures.RepoRoot, project), "-c", Configuration, "--no-build", "--nologo",
            "-o", into, $"-p:Version={version}");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.DoesNotMatch(new Regex(@": warning "), pack.StdOut);
        return version;
    }

    /// <summary>The local folder first, then the sources this machine restores from (`dotnet nuget list source`).</summary>
    static void WriteNugetConfig(string folder, string packages)
    {
        var list = Run(Fixtures.RepoRoot, "dotnet", "nuget", "list", "source", "--format", "short");
        Assert.True(list.ExitCode == 0, list.ToString());
        var sources = list.StdOut.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ")).Select(l => l[2..].Trim()).ToList();
        Assert.NotEmpty(sources);
        var lines = new List<string> { "<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<configuration>", "  <packageSources>", "    <clear />",
            $"    <add key=\"segsam-local\" value=\"{packages}\" />" };
        lines.AddRange(sources.Select((s, i) => $"    <add key=\"source{i}\" value=\"{s}\" />"));
        lines.AddRange(["  </packageSources>", "</configuration>"]);
        File.WriteAllLines(Path.Combine(folder, "nuget.config"), lines);
    }

    static bool WeakGlibcxx(string library)
    {
        var readelf = Run(Path.GetDirectoryName(library)!, "readelf", "-V", library);
        return Regex.IsMatch(readelf.StdOut, @"Name: GLIBCXX_3\.4\.32\s+Flags: WEAK");
    }

    static void RemoveFromGlobalPackages(string id, string version)
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try { Directory.Delete(Path.Combine(root, id, version), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    static Support.Cli.Result Run(string cwd, string file, params string[] args) => Run(cwd, file, new Dictionary<string, string>(), args);

    static Support.Cli.Result Run(string cwd, string file, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        // The demo prepares the built-in data and runs both bundled models (32 s alone on this
        // machine); beside the rest of the suite on the same 2 cores it took over 5 minutes.
        int minutes = args.Length > 0 && args[0] == "demo" ? 15 : 5;
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's MSBuild variables would steer the child builds to this test project.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            psi.Environment.Remove(name);
        return Support.Cli.Finish(psi, $"{file} {string.Join(' ', args)}", minutes);
    }
}
