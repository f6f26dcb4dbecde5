namespace SegSam.Cli;

/// <summary>The models shipped in models/: what `demo` and `segment` use by default.</summary>
public static class BundledModel
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.safetensors");
    public static string TrainLog => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.train_log.jsonl");
    public static string Card => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.md");

    /// <summary>The prompt-free PG-SAM model of the built-in lobes: `segment` without prompts, the demo's second table.</summary>
    public static string PgSamPath => System.IO.Path.Combine(RepoPaths.Root, "models", "pgsam-atlas-lobes.safetensors");
    public static string PgSamCard => System.IO.Path.Combine(RepoPaths.Root, "models", "pgsam-atlas-lobes.md");

    /// <summary>What a front end that serves both methods loads when given no --model: SEG-SAM, and PG-SAM where it is shipped.</summary>
    public static string[] Both => [RepoPaths.Resolve(Path), .. File.Exists(PgSamPath) ? [PgSamPath] : Array.Empty<string>()];
}
