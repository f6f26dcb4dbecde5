using System.Globalization;
using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Imaging;
using SegSam.Modeling.PgSam;

namespace SegSam.Reporting;

/// <summary>
/// The pictures of the report's prompt-free section: each held-out slice's predicted label map
/// beside its truth, and sagittal, coronal and axial views of a whole-volume result.
/// </summary>
internal static class PromptFreeFigures
{
    /// <summary>One figure per held-out slice (prediction left, truth right), captioned with the slice's mean Dice over its structures.</summary>
    public static List<ReportFigure> Gallery(PgSamModel model, SliceDataset lobes, MetricsReport heldOut, int scale = 2)
    {
        var maps = PgSamEvaluator.PredictLabels(model, lobes, descriptions: null);
        var figures = new List<ReportFigure>();
        for (int s = 0; s < lobes.Slices.Count; s++)
        {
            var slice = lobes.Slices[s];
            var predicted = LabelMapRenderer.Render(slice.Height, slice.Width, slice.Image, maps[s], scale);
            var truth = LabelMapRenderer.Render(slice.Height, slice.Width, slice.Image, slice.Labels, scale);
            var dice = heldOut.Objects.Where(o => o.Source == slice.Id).Select(o => o.Dice).ToList();
            string detail = dice.Count == 0 ? "no structure in the truth"
                : string.Create(CultureInfo.InvariantCulture, $"mean Dice {dice.Average():F3} over {dice.Count} structures");
            figures.Add(new ReportFigure(LabelMapRenderer.Beside([predicted, truth]).ToPng(), slice.Id, detail));
        }
        return figures;
    }

    /// <summary>
    /// The prediction (and, with <paramref name="withTruth"/>, the truth) of a whole-volume result
    /// in three views through the labelled voxels: axial and coronal through their centroid,
    /// sagittal through one hemisphere (15 % of the width off the centroid; the midline shows
    /// little of the lateral lobes).
    /// </summary>
    public static List<ReportFigure> OrthogonalViews(WholeVolumeResult result, bool withTruth, int scale = 1)
    {
        var image = result.Image;
        var (cx, cy, cz) = Centroid(result.Truth);
        int[] index = [Math.Clamp(cx - (int)Math.Round(0.15 * image.Nx), 0, image.Nx - 1), cy, cz];
        string where = string.Create(CultureInfo.InvariantCulture, $"sagittal x = {index[0]}, coronal y = {index[1]}, axial z = {index[2]} (RAS+ voxel indices)");
        var figures = new List<ReportFigure> { new(Views(image, result.Predicted, index, scale), $"{result.Name}: prediction", where) };
        if (withTruth) figures.Add(new ReportFigure(Views(image, result.Truth, index, scale), $"{result.Name}: atlas", where));
        return figures;
    }

    static byte[] Views(Volume image, Volume labels, int[] index, int scale)
    {
        var pictures = new List<RgbImage>();
        foreach (int axis in new[] { SliceAxis.Sagittal, SliceAxis.Coronal, SliceAxis.Axial })
        {
            var (gray, h, w) = SliceGeometry.Extract(image, axis, index[axis]);
            var (codes, _, _) = SliceGeometry.Extract(labels, axis, index[axis]);
            pictures.Add(LabelMapRenderer.Render(h, w, gray, codes.Select(v => (int)v).ToArray(), scale));
        }
        return LabelMapRenderer.Beside(pictures).ToPng();
    }

    static (int X, int Y, int Z) Centroid(Volume labels)
    {
        double sx = 0, sy = 0, sz = 0;
        long n = 0;
        for (int z = 0, i = 0; z < labels.Nz; z++)
            for (int y = 0; y < labels.Ny; y++)
                for (int x = 0; x < labels.Nx; x++, i++)
                    if (labels.Data[i] > 0) { sx += x; sy += y; sz += z; n++; }
        return n == 0 ? (labels.Nx / 2, labels.Ny / 2, labels.Nz / 2) : ((int)Math.Round(sx / n), (int)Math.Round(sy / n), (int)Math.Round(sz / n));
    }
}
