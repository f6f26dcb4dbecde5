using SegSam.Data;
using SegSam.Data.Datasets;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling.PgSam;
using SegSam.Text;

namespace SegSam.Evaluation;

/// <summary>
/// The prediction half of the Synapse protocol: every test volume predicted slice by slice by a
/// PG-SAM model (axial, <see cref="PgSamVolumePredictor"/>) and written as
/// <c>caseNNNN.nii.gz</c> (codes 0..8, the image's grid and affine) for
/// <see cref="SynapseFolderScorer"/>. Images are paired with the ground truth by the case number
/// in their names, as the scorer pairs predictions (img0001.nii.gz ↔ label0001.nii.gz); only the
/// cases that have ground truth are predicted. Slices are named <c>caseNNNN-axial-KKK</c>, the ids
/// <c>segsam prepare --dataset synapse</c> gives, for per-image descriptions.
/// </summary>
public static class SynapseFolderPredictor
{
    /// <summary>The file name of case <paramref name="number"/>'s prediction.</summary>
    public static string FileName(int number) => $"case{number:D4}.nii.gz";

    /// <summary>
    /// Predicts the cases of <paramref name="labelsDir"/> from their images in
    /// <paramref name="imagesDir"/> into <paramref name="outputDir"/>; returns the files written.
    /// The model's categories must be the protocol's 8 organs in order (class c = organ code c).
    /// </summary>
    public static IReadOnlyList<string> Predict(PgSamModel model, string imagesDir, string labelsDir, string outputDir,
        VolumeIntensity intensity, SliceDescriptions? descriptions = null, IProgress<(int Done, int Total, string Case)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.Config.Categories.SequenceEqual(SynapseDataset.Organs))
            throw new InvalidDataException(
                $"the model's categories ({string.Join(", ", model.Config.Categories)}) are not the Synapse protocol's organs in order " +
                $"({string.Join(", ", SynapseDataset.Organs)}); train it on `segsam prepare --dataset synapse` data");
        var images = SynapseFolderScorer.CaseFiles(imagesDir, "images");
        var truths = SynapseFolderScorer.CaseFiles(labelsDir, "labels");
        var missing = truths.Keys.Where(k => !images.ContainsKey(k)).Order().ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{imagesDir}: no image for case(s) {string.Join(", ", missing)} of {labelsDir}");
        Directory.CreateDirectory(outputDir);
        var predictor = new PgSamVolumePredictor(model);
        var written = new List<string>();
        var cases = truths.Keys.Order().ToList();
        for (int i = 0; i < cases.Count; i++)
        {
            int number = cases[i];
            string id = $"case{number:D4}";
            progress?.Report((i, cases.Count, id));
            var prediction = predictor.Predict(MedicalImage.Load(images[number]), intensity, id, SliceAxis.Axial, descriptions);
            string path = Path.Combine(outputDir, FileName(number));
            NiftiFile.Write(path, prediction.Labels, prediction.Labels.SourceDataType);
            written.Add(path);
        }
        progress?.Report((cases.Count, cases.Count, ""));
        return written;
    }
}
