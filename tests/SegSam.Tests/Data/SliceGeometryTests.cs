using SegSam.Data;
using static TorchSharp.torch;

namespace SegSam.Tests.Data;

/// <summary>Labels are resized with the geometry of their image, so that they stay on it.</summary>
public class SliceGeometryTests
{
    /// <summary>A 181×217 slice (Colin27's axial shape) with a bright rectangle labelled 1, moved by <paramref name="shift"/> pixels in x and y.</summary>
    static (float[] Image, float[] Labels, int Height, int Width) Rectangle(int shift = 0)
    {
        const int h = 217, w = 181;
        var image = new float[h * w];
        var labels = new float[h * w];
        for (int y = 60 + shift; y < 131 + shift; y++)
        for (int x = 40 + shift; x < 97 + shift; x++)
        {
            image[y * w + x] = 255;
            labels[y * w + x] = 1;
        }
        return (image, labels, h, w);
    }

    /// <summary>Intensity-weighted centre (x, y) of a size×size map.</summary>
    static (double X, double Y) Centre(float[] map, int size)
    {
        double sum = 0, sx = 0, sy = 0;
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            double v = map[y * size + x];
            sum += v; sx += v * x; sy += v * y;
        }
        return (sx / sum, sy / sum);
    }

    [Theory]
    [InlineData(128)] // downsampled, as the default atlas cache
    [InlineData(384)] // upsampled, as the bundled model's cache
    public void ResizedLabelsStayOnTheirImage(int size)
    {
        // One rectangle's edges may each land up to half a pixel off (nearest sampling), so the
        // offset of the label's centre from the image's is averaged over 24 positions. Legacy
        // 'nearest' (⌊i·scale⌋) leaves about half a pixel of it in x and in y.
        double dx = 0, dy = 0;
        const int positions = 24;
        for (int shift = 0; shift < positions; shift++)
        {
            var (image, labels, h, w) = Rectangle(shift);
            var image2 = SliceGeometry.SquareResize(image, h, w, size, labels: false);
            var labels2 = SliceGeometry.SquareResize(labels, h, w, size, labels: true);
            Assert.All(labels2, v => Assert.True(v == 0 || v == 1));
            var (ix, iy) = Centre(image2, size);
            var (lx, ly) = Centre(labels2, size);
            dx += (lx - ix) / positions;
            dy += (ly - iy) / positions;
        }
        Assert.InRange(dx, -0.1, 0.1);
        Assert.InRange(dy, -0.1, 0.1);
    }

    [Fact]
    public void RestoredLabelsLandOnTheSliceTheyCameFrom()
    {
        var (_, labels, h, w) = Rectangle();
        const int size = 384;
        var square = SliceGeometry.SquareResize(labels, h, w, size, labels: true);
        using var restored = SliceGeometry.SquareRestoreLabels(tensor(square, [1, size, size]).to(ScalarType.Int32), h, w);
        var back = restored.data<int>().ToArray();
        int differ = back.Where((v, i) => v != (int)labels[i]).Count();
        Assert.Equal(0, differ);
    }
}
