namespace SegSam.Data;

/// <summary>
/// Random appearance and small geometric changes of a training slice, so that a model trained
/// on a few dozen slices of one brain does not learn them by heart: rotation (±10°), isotropic
/// scale (0.9–1.1) and translation (±6 % of the size) about the centre, then an intensity gain
/// (0.9–1.1) and offset (±10 grey levels). No flips: left/right regions are different categories.
/// Images are resampled bilinearly, label maps by nearest neighbour; outside is background.
/// </summary>
public static class SliceAugmenter
{
    public static LabelledSlice Augment(LabelledSlice slice, SplitRandom rng)
    {
        double angle = (rng.NextDouble() * 2 - 1) * Math.PI / 18;
        double scale = 0.9 + 0.2 * rng.NextDouble();
        double tx = (rng.NextDouble() * 2 - 1) * 0.06 * slice.Width;
        double ty = (rng.NextDouble() * 2 - 1) * 0.06 * slice.Height;
        double gain = 0.9 + 0.2 * rng.NextDouble();
        double offset = (rng.NextDouble() * 2 - 1) * 10;

        int h = slice.Height, w = slice.Width;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
        var image = new float[h * w];
        var labels = new int[h * w];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            // Inverse map: output pixel → source position.
            double dx = x - cx - tx, dy = y - cy - ty;
            double sx = cos * dx + sin * dy + cx, sy = -sin * dx + cos * dy + cy;
            int i = y * w + x;
            image[i] = (float)Math.Clamp(Bilinear(slice.Image, h, w, sx, sy) * gain + offset, 0, 255);
            int nx = (int)Math.Round(sx), ny = (int)Math.Round(sy);
            labels[i] = nx >= 0 && ny >= 0 && nx < w && ny < h ? slice.Labels[ny * w + nx] : 0;
        }
        return slice with { Image = image, Labels = labels };
    }

    static double Bilinear(float[] image, int h, int w, double x, double y)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double fx = x - x0, fy = y - y0;
        double At(int xx, int yy) => xx >= 0 && yy >= 0 && xx < w && yy < h ? image[yy * w + xx] : 0;
        return (1 - fy) * ((1 - fx) * At(x0, y0) + fx * At(x0 + 1, y0)) + fy * ((1 - fx) * At(x0, y0 + 1) + fx * At(x0 + 1, y0 + 1));
    }
}
