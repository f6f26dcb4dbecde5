using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.CompilerServices;
using SegSam.Checkpoints;
using SegSam.Cli.Commands;

namespace SegSam.Cli;

/// <summary>The `segsam` command line: parses arguments, runs a command, maps failures to exit codes.</summary>
public static class CliApp
{
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "CPU threads for libtorch (default: all cores; at most four per core)",
        Recursive = true,
        // Parsed here so that a bad value reads as the option's rule, not as a .NET type name.
        CustomParser = result =>
        {
            string token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
                && n >= 1 && n <= TorchRuntime.MaxThreads)
                return n;
            result.AddError($"--threads expects a whole number from 1 to {TorchRuntime.MaxThreads} (four per CPU here), got '{token}'");
            return null;
        },
    };

    /// <summary>Read by Program before SegSam loads (the fast path is chosen then); declared here for parsing and help.</summary>
    public const string NoMklFastPathName = "--no-mkl-fast-path";

    public static readonly Option<bool> NoMklFastPath = new(NoMklFastPathName)
    {
        Description = $"Leave libtorch's MKL on its generic path on AMD CPUs (same as {MklFastPath.Switch}=0)",
        Recursive = true,
    };

    /// <summary>
    /// The process entry. MKL's fast path is chosen when SegSam's assembly is first touched, before
    /// libtorch loads (SegSam.MklFastPath), and the runtime may do that as soon as it compiles a
    /// method that uses SegSam; so this method uses none, and sets the switch for --no-mkl-fast-path first.
    /// </summary>
    public static int Start(string[] args)
    {
        if (args.Contains(NoMklFastPathName)) Environment.SetEnvironmentVariable(MklFastPath.Switch, "0");
        return RunApplyingMklFastPath(args);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int RunApplyingMklFastPath(string[] args)
    {
        MklFastPath.Apply();
        return Run(args);
    }

    public static int Run(string[] args)
    {
        // A plain command named like the ./segsam script, so usage lines read "segsam …"
        // rather than the assembly's name.
        var root = new Command("segsam", "SegSam: prompt-guided semantic segmentation of medical images (SAM, SEG-SAM, PG-SAM) in C#.")
        {
            Threads,
            NoMklFastPath,
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(SegmentCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(CheckpointCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(PrepareCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(RuntimeCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"segsam: error: {PrintableText.Escape(error.Message)}");
            Console.Error.WriteLine("Run 'segsam --help' (or 'segsam COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            MklFastPath.ParseSwitch(Environment.GetEnvironmentVariable(MklFastPath.Switch)); // a bad value is a usage error
            if (Environment.GetEnvironmentVariable("SEGSAM_DEBUG") == "1") Console.Error.WriteLine($"segsam: MKL fast path {MklFastPath.Status}");
            if (parsed.GetValue(Threads) is { } threads) TorchRuntime.SetThreads(threads);
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Prints a failure as one clear line (no stack trace unless SEGSAM_DEBUG=1) and picks the exit code.</summary>
    public static int Report(Exception e)
    {
        int code = e switch
        {
            UsageException or ArgumentException => ExitCodes.Usage,
            FileNotFoundException or DirectoryNotFoundException or InvalidDataException or CheckpointFormatException
                or CheckpointMismatchException or IOException or UnauthorizedAccessException or KeyNotFoundException => ExitCodes.InputError,
            _ => ExitCodes.InternalError,
        };
        string prefix = code == ExitCodes.InternalError ? "internal error (please report): " : "";
        // No control character that a quoted file name or header text may hold reaches the terminal;
        // the message's own line breaks (a listing of series, the diff of a checkpoint) are kept.
        string message = string.Join(Environment.NewLine, e.Message.Split('\n').Select(line => PrintableText.Escape(line.TrimEnd('\r'))));
        Console.Error.WriteLine($"segsam: error: {prefix}{message}");
        if (Environment.GetEnvironmentVariable("SEGSAM_DEBUG") == "1") Console.Error.WriteLine(e);
        return code;
    }
}
