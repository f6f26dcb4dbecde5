using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling.PgSam;

namespace SegSam.Evaluation;

/// <summary>
/// A prompt-free PG-SAM model of the built-in AAL lobes (<see cref="AalLobes.Names"/>) on the
/// built-in data, as `segsam demo` shows it and the bundled model's card reports it: the
/// held-out slices in 2D (<see cref="PgSamEvaluator"/>), the whole Colin27 volume in 3D against
/// the AAL atlas grouped into lobes, and the macaque INIA19 volume (another species; its
/// NeuroMaps regions have no lobe names, so only all structures together are scored against all
/// labelled voxels). Whole volumes go through <see cref="PgSamVolumePredictor"/> exactly as
/// `segsam segment` runs them, intensities by the MR rule `prepare` used for the training slices.
/// </summary>
public static class PgSamAtlasEvaluation
{
    /// <summary>The held-out AAL slices regrouped into lobes and scored prompt-free (Dice, IoU, HD95 per slice and lobe).</summary>
    public static MetricsReport HeldOut(PgSamModel model, SliceDataset aalTest, IProgress<(int Done, int Total)>? progress = null)
    {
        RequireLobes(model);
        var (lobes, _) = ClassGrouping.ForModel(aalTest, model.Config.Categories);
        return PgSamEvaluator.Evaluate(model, lobes, descriptions: null, surfaceDistances: true, progress);
    }

    /// <summary>Every axial slice of Colin27 (ch2) predicted; each lobe scored in 3D against the grouped AAL atlas.</summary>
    public static WholeVolumeResult Colin27(PgSamModel model, string templates = AtlasDataset.DefaultTemplates,
                                            IProgress<(int Done, int Total)>? progress = null)
    {
        RequireLobes(model);
        var names = AtlasDataset.ReadAalNames(Path.Combine(templates, "aal.nii.txt"));
        string imagePath = Path.Combine(templates, "ch2.nii.gz");
        var image = LoadRas(imagePath);
        var aal = LoadRas(Path.Combine(templates, "aal.nii.gz"));
        var lobeOf = AalLobes.LabelMap(names);
        var truth = Codes(aal, image, v => v >= 0 && v < lobeOf.Length ? lobeOf[v] : -1, names.Length);
        return Score("Colin27", model, imagePath, image, truth, AalLobes.Names, progress);
    }

    /// <summary>Every axial slice of the macaque INIA19 template predicted; all structures together scored against the NeuroMaps labelled voxels.</summary>
    public static WholeVolumeResult Macaque(PgSamModel model, string templates = AtlasDataset.DefaultTemplates,
                                            IProgress<(int Done, int Total)>? progress = null)
    {
        RequireLobes(model);
        string imagePath = Path.Combine(templates, "inia19-t1-brain.nii.gz");
        var image = LoadRas(imagePath);
        var labels = LoadRas(Path.Combine(templates, "inia19-NeuroMaps.nii.gz"));
        var truth = Codes(labels, image, v => v > 0 ? 1 : v == 0 ? 0 : -1, int.MaxValue);
        return Score("macaque INIA19", model, imagePath, image, truth, [], progress);
    }

    static void RequireLobes(PgSamModel model)
    {
        if (!model.Config.Categories.SequenceEqual(AalLobes.Names))
            throw new InvalidDataException($"the model's classes ({string.Join(", ", model.Config.Categories)}) are not the built-in lobes ({string.Join(", ", AalLobes.Names)}); train it with --classes lobes");
    }

    static Volume LoadRas(string path) => Orientation.Canonical(NiftiFile.Read(path).Volume).Canonical;

    /// <summary>The atlas's voxels mapped to structure codes; the atlas must lie on the image's grid.</summary>
    static int[] Codes(Volume atlas, Volume image, Func<int, int> code, int maxLabel)
    {
        if (!atlas.Dims.SequenceEqual(image.Dims))
            throw new InvalidDataException($"{atlas.Source} ({string.Join('×', atlas.Dims)}) is not on the grid of {image.Source} ({string.Join('×', image.Dims)})");
        var codes = new int[atlas.Data.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            float v = atlas.Data[i];
            int c = v == MathF.Round(v) && v <= maxLabel ? code((int)v) : -1;
            if (c < 0) throw new InvalidDataException($"{atlas.Source}: label value {v} is not a region of the atlas");
            codes[i] = c;
        }
        return codes;
    }

    static WholeVolumeResult Score(string name, PgSamModel model, string imagePath, Volume image, int[] truth, IReadOnlyList<string> structures,
                                   IProgress<(int Done, int Total)>? progress)
    {
        // The rule `prepare` normalised the training slices with (0.5–99.5 percentiles of the non-zero voxels).
        var prepared = image.WithData(VolumeIntensity.Mr.Apply(image.Data), "float32");
        var prediction = new PgSamVolumePredictor(model).PredictPrepared(prepared, CaseIds.Of(imagePath), progress: progress);
        var predicted = prediction.Labels.Data.Select(v => (int)v).ToArray();
        // Volumes are x-fastest: row-major (z, y, x) as the Synapse scorer takes them.
        int[] dims = [image.Nz, image.Ny, image.Nx];
        var spacing = image.Spacing;
        double[] zyx = [spacing[2], spacing[1], spacing[0]];
        var scores = new List<StructureVolumeScore>();
        if (structures.Count > 0)
        {
            var perClass = SynapseCase.ComputePerClass(predicted, truth, structures.Count + 1, dims, zyx);
            for (int c = 0; c < structures.Count; c++)
                scores.Add(new StructureVolumeScore(structures[c], perClass[c].Dice, perClass[c].Hd95Mm,
                    predicted.LongCount(v => v == c + 1), truth.LongCount(v => v == c + 1)));
        }
        var anyPredicted = predicted.Select(v => v > 0 ? (byte)1 : (byte)0).ToArray();
        var anyTruth = truth.Select(v => v > 0 ? (byte)1 : (byte)0).ToArray();
        var all = SynapseCase.Compute(anyPredicted, anyTruth, dims, zyx);
        var foreground = new StructureVolumeScore("all structures", all.Dice, all.Hd95Mm,
            anyPredicted.LongCount(v => v != 0), anyTruth.LongCount(v => v != 0));
        var truthVolume = image.WithData(truth.Select(v => (float)v).ToArray(), "uint8");
        return new WholeVolumeResult(name, prepared, prediction.Labels, truthVolume, structures, scores, foreground);
    }
}
