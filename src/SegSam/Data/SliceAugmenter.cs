namespace SegSam.Data;

/// <summary>
/// Random appearance and small geometric changes of a training slice, so that a model trained
/// on a few dozen slices of one brain does not learn them by heart. <see cref="Augment"/>:
/// rotation (±10°), isotropic scale (0.9–1.1) and translation (±6 % of the size) about the
/// centre, then an intensity gain (0.9–1.1) and offset (±10 grey levels); images are resampled
/// bilinearly, label and object maps by nearest neighbour; outside is background.
/// <see cref="AugmentAppearance"/> mimics other scanners and subjects; <see cref="FlipLeftRight"/>
/// mirrors a slice and swaps the left and right categories; <see cref="RemapContrast"/> moves
/// tissues' grey levels apart or together.
/// </summary>
public static class SliceAugmenter
{
    /// <summary>
    /// Label value after a left/right mirror: a category named …_L becomes its …_R partner and
    /// back (AAL's convention); others keep their value. Element 0 is the background.
    /// </summary>
    public static int[] LeftRightSwap(IReadOnlyList<string> categories)
    {
        var index = categories.Select((name, i) => (name, i)).ToDictionary(t => t.name, t => t.i);
        var swap = Enumerable.Range(0, categories.Count + 1).ToArray();
        for (int c = 0; c < categories.Count; c++)
        {
            string name = categories[c];
            string? partner = name.EndsWith("_L", StringComparison.Ordinal) ? name[..^2] + "_R"
                : name.EndsWith("_R", StringComparison.Ordinal) ? name[..^2] + "_L" : null;
            if (partner is not null && index.TryGetValue(partner, out int other)) swap[c + 1] = other + 1;
        }
        return swap;
    }

    /// <summary>
    /// The slice mirrored left to right (columns: the x axis of a RAS axial, coronal slice), its
    /// labels mapped through <paramref name="swap"/> (<see cref="LeftRightSwap"/>) so that a left
    /// region stays a left region.
    /// </summary>
    public static LabelledSlice FlipLeftRight(LabelledSlice slice, int[] swap)
    {
        int h = slice.Height, w = slice.Width;
        var image = new float[h * w];
        var labels = new int[h * w];
        var objects = slice.Objects.Select(_ => new int[h * w]).ToArray();
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int to = y * w + x, from = y * w + (w - 1 - x);
            image[to] = slice.Image[from];
            labels[to] = swap[slice.Labels[from]];
            for (int m = 0; m < objects.Length; m++) objects[m][to] = slice.Objects[m][from];
        }
        return slice with { Image = image, Labels = labels, Objects = objects };
    }

    /// <summary>
    /// Scanner and subject appearance: with probability ¼ the brain alone (outside
    /// <paramref name="brainMap"/>'s object zeroed and the brain re-stretched, as skull-stripped
    /// scans are), a gamma curve (γ = e^U(−0.4, 0.4)), a smooth multiplicative bias field (a
    /// quadratic in x, y, within about ±30 %), with probability ⅓ a Gaussian blur (σ 0.5–1.5
    /// pixels: a coarser acquisition) and Gaussian noise (σ up to 8 grey levels).
    /// </summary>
    public static LabelledSlice AugmentAppearance(LabelledSlice slice, SplitRandom rng, int? brainMap = null)
    {
        int h = slice.Height, w = slice.Width;
        var image = (float[])slice.Image.Clone();
        int[]? brain = null;
        if (brainMap is { } map && map < slice.Objects.Count && rng.NextDouble() < 0.25)
        {
            brain = slice.Objects[map];
            var inside = image.Where((_, i) => brain[i] > 0).Order().ToArray();
            if (inside.Length > 0)
            {
                double top = Math.Max(1, inside[(int)(0.995 * (inside.Length - 1))]);
                for (int i = 0; i < image.Length; i++) image[i] = brain[i] > 0 ? (float)Math.Min(255, image[i] * 255 / top) : 0;
            }
        }
        double gamma = Math.Exp((rng.NextDouble() * 2 - 1) * 0.4);
        var c = Enumerable.Range(0, 5).Select(_ => (rng.NextDouble() * 2 - 1) * 0.15).ToArray();
        bool blur = rng.NextDouble() < 1.0 / 3;
        double sigma = 0.5 + rng.NextDouble();
        double noise = rng.NextDouble() * 8;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            double u = 2.0 * x / (w - 1) - 1, v = 2.0 * y / (h - 1) - 1;
            double bias = Math.Exp(c[0] * u + c[1] * v + c[2] * u * v + c[3] * u * u + c[4] * v * v);
            int i = y * w + x;
            image[i] = (float)(255 * Math.Pow(image[i] / 255.0, gamma) * bias);
        }
        if (blur) image = GaussianBlur(image, h, w, sigma);
        for (int i = 0; i < image.Length; i++)
            image[i] = (float)Math.Clamp(image[i] + noise * Gaussian(rng), 0, 255);
        // Skull-stripped scans are exactly zero outside the brain, also after blur and noise.
        if (brain is not null)
            for (int i = 0; i < image.Length; i++)
                if (brain[i] == 0) image[i] = 0;
        return slice with { Image = image };
    }

    /// <summary>
    /// Another T1 contrast: the image's grey levels pass through a random increasing curve, linear
    /// between six knots 51 grey levels apart, each of its five slopes scaled by e^U(−0.7, 0.7)
    /// and the curve rescaled to end at 255 again (0 stays 0). A gamma curve bends all grey levels
    /// one way; this moves the tissues apart or together independently, as scanners and sequences
    /// do (skull-stripped templates such as mricron-data's ch2better have far brighter white matter
    /// than ch2). Intensities keep their order, so a T1's dark CSF stays the darkest tissue.
    /// </summary>
    public static LabelledSlice RemapContrast(LabelledSlice slice, SplitRandom rng)
    {
        const int segments = 5;
        var knots = new double[segments + 1];
        for (int s = 0; s < segments; s++) knots[s + 1] = knots[s] + Math.Exp((rng.NextDouble() * 2 - 1) * 0.7);
        var image = new float[slice.Image.Length];
        for (int i = 0; i < image.Length; i++)
        {
            double x = Math.Clamp(slice.Image[i], 0, 255) / 255.0 * segments;
            int s = Math.Min((int)x, segments - 1);
            image[i] = (float)(255 * (knots[s] + (x - s) * (knots[s + 1] - knots[s])) / knots[segments]);
        }
        return slice with { Image = image };
    }

    static double Gaussian(SplitRandom rng)
    {
        // Box–Muller.
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    static float[] GaussianBlur(float[] image, int h, int w, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, 2 * radius + 1).Select(d => Math.Exp(-d * d / (2 * sigma * sigma))).ToArray();
        double sum = kernel.Sum();
        var rows = new float[image.Length];
        var result = new float[image.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            double acc = 0;
            for (int d = -radius; d <= radius; d++) acc += kernel[d + radius] * image[y * w + Math.Clamp(x + d, 0, w - 1)];
            rows[y * w + x] = (float)(acc / sum);
        }
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            double acc = 0;
            for (int d = -radius; d <= radius; d++) acc += kernel[d + radius] * rows[Math.Clamp(y + d, 0, h - 1) * w + x];
            result[y * w + x] = (float)(acc / sum);
        }
        return result;
    }

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
        var objects = slice.Objects.Select(_ => new int[h * w]).ToArray();
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            // Inverse map: output pixel → source position.
            double dx = x - cx - tx, dy = y - cy - ty;
            double sx = cos * dx + sin * dy + cx, sy = -sin * dx + cos * dy + cy;
            int i = y * w + x;
            image[i] = (float)Math.Clamp(Bilinear(slice.Image, h, w, sx, sy) * gain + offset, 0, 255);
            int nx = (int)Math.Round(sx), ny = (int)Math.Round(sy);
            bool inside = nx >= 0 && ny >= 0 && nx < w && ny < h;
            labels[i] = inside ? slice.Labels[ny * w + nx] : 0;
            for (int m = 0; m < objects.Length; m++) objects[m][i] = inside ? slice.Objects[m][ny * w + nx] : 0;
        }
        return slice with { Image = image, Labels = labels, Objects = objects };
    }

    static double Bilinear(float[] image, int h, int w, double x, double y)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double fx = x - x0, fy = y - y0;
        double At(int xx, int yy) => xx >= 0 && yy >= 0 && xx < w && yy < h ? image[yy * w + xx] : 0;
        return (1 - fy) * ((1 - fx) * At(x0, y0) + fx * At(x0 + 1, y0)) + fy * ((1 - fx) * At(x0, y0 + 1) + fx * At(x0 + 1, y0 + 1));
    }
}
