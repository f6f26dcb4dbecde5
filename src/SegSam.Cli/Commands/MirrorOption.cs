using System.CommandLine;

namespace SegSam.Cli.Commands;

/// <summary>
/// `--mirror` / `--no-mirror`: test-time mirroring of a SEG-SAM model (SegSamPredictor.TestTimeMirroring), for
/// the commands that prompt one. Neither: as the model's config says (a model trained with `--flip-lr` mirrors).
/// </summary>
public sealed class MirrorOption
{
    public Option<bool> On { get; } = new("--mirror")
    {
        Description = "SEG-SAM: answer every prompt on the slice and on its left-right mirror and average the two (test-time mirroring, as nnU-Net does at inference); twice the model's work. Default: as the model says (models trained with --flip-lr mirror)",
    };

    public Option<bool> Off { get; } = new("--no-mirror")
    {
        Description = "SEG-SAM: no test-time mirroring, even for a model that mirrors by default (half the work)",
    };

    /// <summary>True (`--mirror`), false (`--no-mirror`) or null (neither: the model's default).</summary>
    public bool? Value(ParseResult parse) => (parse.GetValue(On), parse.GetValue(Off)) switch
    {
        (true, true) => throw new UsageException("give --mirror or --no-mirror, not both"),
        (true, false) => true,
        (false, true) => false,
        _ => null,
    };

    /// <summary>The usage error when `--mirror` comes with a PG-SAM model.</summary>
    public const string PgSamRefusal = "--mirror applies to SEG-SAM models (it averages a prompt's answers on the slice and its mirror)";
}
