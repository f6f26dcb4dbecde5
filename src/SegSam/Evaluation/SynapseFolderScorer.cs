using System.Text.RegularExpressions;
using SegSam.Data.Datasets;
using SegSam.Imaging;

namespace SegSam.Evaluation;

/// <summary>
/// The Synapse protocol over files: predicted label volumes (codes 0..8, any format SegSam reads)
/// against the ground-truth volumes of the same cases, paired by the case number in the file
/// names (img0001 / label0001 / case0001_pred → case 1), on the same grid. Ground truth in BTCV's
/// raw 13-organ codes is remapped to the protocol's 8 organs first.
/// </summary>
public static partial class SynapseFolderScorer
{
    public static SynapseReport Score(string predictionsDir, string labelsDir, bool rawLabels, IProgress<(int Done, int Total)>? progress = null)
    {
        var predictions = CaseFiles(predictionsDir, "predictions");
        var truths = CaseFiles(labelsDir, "labels");
        var missing = truths.Keys.Where(k => !predictions.ContainsKey(k)).Order().ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{predictionsDir}: no prediction for case(s) {string.Join(", ", missing)} of {labelsDir}");
        var scores = new List<SynapseOrganScore>();
        int done = 0;
        foreach (var (number, truthPath) in truths.OrderBy(t => t.Key))
        {
            var truth = MedicalImage.Load(truthPath);
            var prediction = MedicalImage.Load(predictions[number]);
            if (!truth.Dims.SequenceEqual(prediction.Dims))
                throw new InvalidDataException($"{predictions[number]}: grid {string.Join('×', prediction.Dims)} differs from {truthPath} ({string.Join('×', truth.Dims)})");
            float[] truthCodes = rawLabels ? SynapseDataset.RemapRawLabels(truth.Data, truthPath) : truth.Data;
            // Volume data run x fastest, so as a row-major array they are z × y × x.
            int[] dims = [truth.Nz, truth.Ny, truth.Nx];
            double[] spacing = [truth.Spacing[2], truth.Spacing[1], truth.Spacing[0]];
            scores.AddRange(SynapseProtocol.EvaluateCase($"case{number:D4}", Codes(prediction.Data, predictions[number]), Codes(truthCodes, truthPath), dims, spacing));
            progress?.Report((++done, truths.Count));
        }
        return SynapseReport.Build(scores, SynapseDataset.Organs);
    }

    static int[] Codes(float[] values, string source)
    {
        var codes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Floor(v)) throw new InvalidDataException($"{source}: label value {v} at voxel {i} is not a whole number");
            codes[i] = (int)v;
        }
        return codes;
    }

    /// <summary>
    /// The volumes of a folder by case number (the first run of digits in names like
    /// img0001.nii.gz, label0001.nii.gz, case0001_pred.nii.gz); files without one are skipped, two
    /// files of one case are an error. <paramref name="what"/> names the folder in messages.
    /// </summary>
    public static Dictionary<int, string> CaseFiles(string dir, string what)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{what} folder not found: {dir}");
        var cases = new Dictionary<int, string>();
        foreach (string file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            var m = CaseNumber().Match(Path.GetFileName(file));
            if (!m.Success) continue;
            int number = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (!cases.TryAdd(number, file))
                throw new InvalidDataException($"{dir}: two files for case {number}: {Path.GetFileName(cases[number])} and {Path.GetFileName(file)}");
        }
        if (cases.Count == 0) throw new FileNotFoundException($"{dir}: no {Volumes(what)} with a case number in their name (e.g. {Example(what)})");
        return cases;
    }

    static string Volumes(string what) => what switch
    {
        "labels" => "label volumes",
        "images" => "image volumes",
        "predictions" => "predicted volumes",
        _ => "volumes",
    };

    static string Example(string what) => what switch
    {
        "labels" => "label0001.nii.gz",
        "images" => "img0001.nii.gz",
        _ => "case0001.nii.gz",
    };

    [GeneratedRegex(@"^\D*(\d+)\D*\.(nii(\.gz)?|mha|mhd|nrrd|nhdr|npy)$", RegexOptions.IgnoreCase)]
    private static partial Regex CaseNumber();
}
