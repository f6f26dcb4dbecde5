using SegSam.Data;

namespace SegSam.Inference;

/// <summary>
/// The geometry by which a slice becomes a model input during preparation (SliceGeometry.SquareResize):
/// zero-padded to a centred square of side max(h, w), then resized to size×size. Maps prompt
/// coordinates into the model frame (pixel centres: x' = (x + left + ½)·s − ½) and gives the
/// crop that brings model-size masks back to the slice.
/// </summary>
public sealed record SquareFrame(int Height, int Width, int Size)
{
    public int Side => Math.Max(Height, Width);
    public int Left => (Side - Width) / 2;
    public int Top => (Side - Height) / 2;
    public double Scale => (double)Size / Side;

    public (double X, double Y) ToModel(double x, double y) =>
        ((x + Left + 0.5) * Scale - 0.5, (y + Top + 0.5) * Scale - 0.5);

    public SamPrompt ToModel(SamPrompt prompt) => prompt with
    {
        Points = prompt.Points.Select(p =>
        {
            var (x, y) = ToModel(p.X, p.Y);
            return new PointPrompt(x, y, p.Label);
        }).ToList(),
        Box = prompt.Box is { } b ? Box(b) : null,
    };

    BoxPrompt Box(BoxPrompt b)
    {
        var (x0, y0) = ToModel(b.X0, b.Y0);
        var (x1, y1) = ToModel(b.X1, b.Y1);
        return new BoxPrompt(x0, y0, x1, y1);
    }
}
