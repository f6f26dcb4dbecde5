using System.CommandLine;

namespace SegSam.Cli.Commands;

/// <summary>`--mirror`: test-time mirroring of a SEG-SAM model (SegSamPredictor.TestTimeMirroring), for the commands that prompt one.</summary>
public static class MirrorOption
{
    public static Option<bool> Create() => new("--mirror")
    {
        Description = "SEG-SAM: answer every prompt on the slice and on its left-right mirror and average the two (test-time mirroring, as nnU-Net does at inference); twice the model's work",
    };

    /// <summary>The usage error when `--mirror` comes with a PG-SAM model.</summary>
    public const string PgSamRefusal = "--mirror applies to SEG-SAM models (it averages a prompt's answers on the slice and its mirror)";
}
