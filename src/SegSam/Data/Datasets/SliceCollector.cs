using SegSam.Imaging;

namespace SegSam.Data.Datasets;

/// <summary>
/// Cuts image/label volume pairs into square model-size slices, keeping only slices with at
/// least one object that <see cref="PromptSampler"/> would prompt (≥ 0.153 % of the slice),
/// and gathers them into a <see cref="SliceDataset"/>.
/// </summary>
internal sealed class SliceCollector(int size)
{

    readonly PromptSampler sampler = new();
    readonly List<LabelledSlice> slices = [];
    readonly List<double> rowSpacing = [];
    readonly List<double> columnSpacing = [];

    public int Count => slices.Count;

    /// <summary>
    /// Adds the slices of a pair on one grid: <paramref name="image"/> already in [0, 255],
    /// <paramref name="labels"/> already coded 0..N. Both are reoriented to RAS+ and cut along each
    /// of <paramref name="axes"/> (a one-slice volume is only
    /// cut across its one flat axis). <paramref name="keep"/> chooses slice indices along an axis (all by default).
    /// </summary>
    public void AddVolume(string caseId, Volume image, Volume labels, IReadOnlyList<int> axes, Func<int, bool>? keep = null)
    {
        Grids.CheckSame(image, labels);
        var ras = Orientation.Canonical(image).Canonical;
        var rasLabels = Orientation.Canonical(labels).Canonical;
        var spacing = ras.Spacing;
        bool single = ras.Dims.Any(d => d == 1);
        foreach (int axis in single ? Enumerable.Range(0, 3).Where(a => ras.Dims[a] == 1).Take(1) : axes)
        {
            var (rows, columns) = axis switch { 0 => (2, 1), 1 => (2, 0), _ => (1, 0) };
            if (ras.Dims[rows] == 1 || ras.Dims[columns] == 1) continue;
            for (int k = 0; k < ras.Dims[axis]; k++)
            {
                if (keep is not null && !keep(k)) continue;
                string id = single ? caseId : SliceAxis.SliceId(caseId, axis, k);
                var (labelPixels, h, w) = SliceGeometry.Extract(rasLabels, axis, k);
                if (!labelPixels.Any(v => v > 0)) continue;
                var (pixels, _, _) = SliceGeometry.Extract(ras, axis, k);
                Add(id, pixels, labelPixels, h, w, spacing[rows], spacing[columns]);
            }
        }
    }

    /// <summary>Adds one H×W slice if it holds a promptable object; returns whether it did.</summary>
    public bool Add(string id, float[] image, float[] labels, int height, int width, double rowMm, double columnMm)
    {
        var codes = SliceGeometry.SquareResize(labels, height, width, size, labels: true).Select(v => (int)Math.Round(v)).ToArray();
        var slice = new LabelledSlice(id, size, size, [], codes);
        if (sampler.Eligible(slice).Count == 0) return false;
        slices.Add(slice with { Image = SliceGeometry.SquareResize(image, height, width, size, labels: false) });
        double scale = (double)Math.Max(height, width) / size;
        rowSpacing.Add(rowMm * scale);
        columnSpacing.Add(columnMm * scale);
        return true;
    }

    /// <summary>
    /// The collected slices as a dataset; the pixel spacing is the median over slices (cases
    /// differ, and one value per set is what the metrics take).
    /// </summary>
    public SliceDataset Build(string name, string modality, string[] categories, Func<int[], int[]>? relabel = null) => new()
    {
        Name = name,
        Modality = modality,
        Categories = categories,
        PixelSpacing = slices.Count == 0 ? [1, 1] : [Median(rowSpacing), Median(columnSpacing)],
        Slices = relabel is null ? slices.ToList() : slices.Select(s => s with { Labels = relabel(s.Labels) }).ToList(),
    };

    /// <summary>Every label value in the collected slices (before any relabelling).</summary>
    public IEnumerable<int> LabelValues() => slices.SelectMany(s => s.Labels).Where(v => v > 0).Distinct();

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

/// <summary>Checks that two volumes share a voxel grid.</summary>
internal static class Grids
{
    /// <summary>Largest affine difference (mm) still taken as the same grid: float32 headers round.</summary>
    const double Tolerance = 1e-3;

    public static void CheckSame(Volume image, Volume labels)
    {
        bool sameDims = image.Dims.SequenceEqual(labels.Dims);
        double worst = 0;
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) worst = Math.Max(worst, Math.Abs(image.Affine[r, c] - labels.Affine[r, c]));
        if (sameDims && worst <= Tolerance) return;
        throw new InvalidDataException(
            $"{labels.Source}: grids differ: the image {image.Source} is {string.Join("×", image.Dims)} ({Orientation.AxisCodes(image.Affine)}), " +
            $"the labels {string.Join("×", labels.Dims)} ({Orientation.AxisCodes(labels.Affine)})" +
            (sameDims ? $", and their affines differ by up to {worst:G3} mm" : "") + "; resample the labels onto the image grid first");
    }
}
