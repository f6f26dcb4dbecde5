using System.Text.Json;
using SegSam.Imaging;
using SegSam.Modeling.PgSam;

namespace SegSam.Tests.Support;

/// <summary>
/// One folder of PG-SAM head reference outputs (fixtures/pgsam-parity/&lt;case&gt;): case.json
/// (config: dim, heads, mlp, depth, classes, refine; grid, input_size), head.pth (the reference
/// state_dict of the head), inputs neck / clip_image / clip_text and outputs similarity, guide,
/// fused, masks (decoder masks[:, 1:], low-res), iou as .npy.
/// </summary>
public sealed class PgSamParityCase
{
    public string Dir { get; }
    public PgSamConfig Config { get; }

    public PgSamParityCase(string dir)
    {
        Dir = dir;
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(dir, "case.json")));
        var root = doc.RootElement;
        var c = root.GetProperty("config");
        int grid = root.GetProperty("grid").GetInt32();
        int inputSize = root.GetProperty("input_size").GetInt32();
        int depth = c.GetProperty("depth").GetInt32();
        Config = new PgSamConfig
        {
            Dim = c.GetProperty("dim").GetInt32(),
            NumHeads = c.GetProperty("heads").GetInt32(),
            MlpDim = c.GetProperty("mlp").GetInt32(),
            Depth = depth,
            // The reference uses one depth (2) for the two-way transformer and the fusion layers.
            FusionDepth = c.TryGetProperty("fusion_depth", out var fd) ? fd.GetInt32() : depth,
            NumClasses = c.GetProperty("classes").GetInt32(),
            RefineIterations = c.GetProperty("refine").GetInt32(),
            InputSize = inputSize,
            PatchSize = inputSize / grid,
        };
        Config.Validate(Path.Combine(dir, "case.json"));
    }

    public string File(string name) => Path.Combine(Dir, name);

    public NpyArray Array(string name) => NpyFile.Read(File(name + ".npy"));
}
