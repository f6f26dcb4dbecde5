namespace SegSam.Cli;

/// <summary>The model shipped in models/: what `demo` and `segment` use by default.</summary>
public static class BundledModel
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.safetensors");
    public static string TrainLog => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.train_log.jsonl");
    public static string Card => System.IO.Path.Combine(RepoPaths.Root, "models", "segsam-atlas.md");
}
