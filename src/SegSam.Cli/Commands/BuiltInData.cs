using System.CommandLine;
using System.Diagnostics;
using SegSam.Data;

namespace SegSam.Cli.Commands;

/// <summary>Debian's mricron-data provides the built-in dataset; the demo installs it when it can.</summary>
public static class BuiltInData
{
    public static void EnsureInstalled()
    {
        if (File.Exists(Path.Combine(AtlasDataset.DefaultTemplates, "ch2.nii.gz"))) return;
        bool root = Environment.UserName == "root";
        if (!root || !File.Exists("/usr/bin/apt-get"))
            throw new FileNotFoundException(
                $"the built-in dataset needs Debian's mricron-data package ({AtlasDataset.DefaultTemplates} is missing): run 'sudo apt-get install mricron-data'");
        Console.Error.WriteLine("installing Debian's mricron-data (the built-in dataset) …");
        foreach (var args in new[] { "update -qq", "install -y -qq --no-install-recommends mricron-data" })
        {
            var psi = new ProcessStartInfo("apt-get", args) { RedirectStandardOutput = true, UseShellExecute = false };
            psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = Process.Start(psi) ?? throw new IOException("could not run apt-get");
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new IOException($"apt-get {args} failed with exit code {process.ExitCode}; install mricron-data by hand");
        }
    }
}
