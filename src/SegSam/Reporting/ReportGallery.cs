using SegSam.Data;
using SegSam.Evaluation;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;

namespace SegSam.Reporting;

/// <summary>
/// The report's gallery of held-out slices: per slice, its largest object prompted with the box
/// and a mid-sized one with the click, so the report shows both prompt types across the data,
/// each with the prediction, the truth and its row of the metrics.
/// </summary>
internal static class ReportGallery
{
    public static List<ReportOverlay> Build(SegSamModel model, SliceDataset test, MetricsReport metrics)
    {
        var sampler = new PromptSampler();
        using var predictor = new SegSamPredictor(model);
        var overlays = new List<ReportOverlay>();
        foreach (var slice in test.Slices)
        {
            var eligible = sampler.Eligible(slice);
            if (eligible.Count == 0) continue;
            var areas = slice.LabelAreas();
            var ordered = eligible.OrderByDescending(l => areas[l]).ToList();
            predictor.SetSlice(slice.Image, slice.Height, slice.Width);
            foreach (var (label, box) in new[] { (ordered[0], true), (ordered[ordered.Count / 2], false) })
            {
                var mask = slice.Mask(label);
                var prompt = box
                    ? new SamPrompt { Box = PromptSampler.ExactBox(mask, slice.Height, slice.Width) }
                    : new SamPrompt { Points = [PromptSampler.CentralPoint(mask, slice.Height, slice.Width)] };
                var prediction = predictor.Predict(prompt);
                var result = metrics.Objects.First(o => o.Source == slice.Id && o.Category == test.Categories[label - 1] && o.Prompt == (box ? "box" : "point"));
                var picture = OverlayRenderer.Render(new OverlaySlice(slice.Height, slice.Width, slice.Image)
                {
                    Truth = mask,
                    Predicted = prediction.Mask,
                    Box = prompt.Box is { } b ? new OverlayBox(b.X0, b.Y0, b.X1, b.Y1) : null,
                    Clicks = prompt.Points.Select(p => new OverlayClick(p.X, p.Y, true)).ToList(),
                }, scale: 2);
                overlays.Add(new ReportOverlay(picture.ToPng(), result));
            }
        }
        return overlays;
    }
}
