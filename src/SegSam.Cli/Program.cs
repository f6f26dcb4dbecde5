return SegSam.Cli.CliApp.Start(args);

/// <summary>
/// The entry point. Public only so that the server tests can name the assembly that hosts the
/// server (`segsam serve`) to WebApplicationFactory; they build the host themselves, so Main does not run there.
/// </summary>
public partial class Program;
