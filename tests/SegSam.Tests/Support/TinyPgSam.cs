using SegSam.Checkpoints;
using SegSam.Data.Datasets;
using SegSam.Imaging;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Support;

/// <summary>Tiny PG-SAM models (random weights) and small CT-like volumes for the volume predictor's tests.</summary>
public static class TinyPgSam
{
    /// <summary>A tiny PG-SAM (32 px, one channel, 8-d text) with every parameter random (normal × 0.2), so its maps hold several classes.</summary>
    public static PgSamModel Model(PgSamModelConfig? config = null, long seed = 11)
    {
        manual_seed(seed);
        var model = new PgSamModel(config ?? PgSamTrainingTests.TinyConfig());
        using (no_grad())
            foreach (var p in model.parameters()) p.normal_(0, 0.2);
        return model;
    }

    /// <summary><see cref="Model"/> saved as a whole PG-SAM model file.</summary>
    public static string Save(string path, PgSamModelConfig? config = null, long seed = 11)
    {
        using var model = Model(config, seed);
        PgSamModelCheckpoint.Save(model, path);
        return path;
    }

    /// <summary>The tiny config with the Synapse protocol's 8 organs as categories.</summary>
    public static PgSamModelConfig SynapseConfig() =>
        PgSamModelConfig.FromSam(TinySegSam.Config("sawd").Sam, SynapseDataset.Organs, 8, new PgSamPriorConfig
        {
            TextEncoder = "hashing:8", Template = PgSamPriorConfig.TemplateFor("CT", SynapseDataset.Organs),
        });

    /// <summary>
    /// A CT-like volume in HU (integers in [−400, 500]) on an LPS grid with the first two voxel axes
    /// swapped (i runs posterior, j runs left), so that reorientation permutes and flips.
    /// </summary>
    public static Volume HuVolume(int ni = 24, int nj = 20, int nk = 5, int seed = 3)
    {
        var rng = new Random(seed);
        var data = new float[ni * nj * nk];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(-400, 501);
        var affine = new double[,] { { 0, -0.8, 0, 10 }, { -0.9, 0, 0, -5 }, { 0, 0, 2.5, 3 }, { 0, 0, 0, 1 } };
        return new Volume([ni, nj, nk], data, affine, "hu-volume") { SourceDataType = "int16" };
    }
}
