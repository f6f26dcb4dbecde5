namespace SegSam.Data;

/// <summary>
/// Simulates interactive prompts the way SAM-Med2D trains (facts from its code): objects are
/// drawn with replacement from those covering at least <see cref="MinAreaFraction"/> of the
/// image; a box is the bounding box of the object's largest connected component, moved by one
/// random translation of up to min(5, ⌊5 · 0.1 · min(w, h)⌋) pixels during training (none at
/// test time); a point is a uniformly drawn pixel of the object, labelled foreground.
/// Coordinates are pixel indices as SAM-Med2D and MedSAM pass them: a box's corners are the
/// first and last object pixels (inclusive), and SAM's prompt encoder adds the half pixel.
/// </summary>
public sealed class PromptSampler(double minAreaFraction = 0.00153)
{
    /// <summary>Objects smaller than this fraction of the image are dropped (SAM-Med2D: 0.153 %).</summary>
    public double MinAreaFraction { get; } = minAreaFraction;

    /// <summary>Label values large enough to be prompted, in ascending order.</summary>
    public IReadOnlyList<int> Eligible(LabelledSlice slice)
    {
        double minArea = MinAreaFraction * slice.Height * slice.Width;
        return slice.LabelAreas().Where(kv => kv.Value >= minArea).Select(kv => kv.Key).OrderBy(l => l).ToList();
    }

    /// <summary>Class-agnostic objects large enough to be prompted: (map, object id) pairs in map order, then id order.</summary>
    public IReadOnlyList<(int Map, int Id)> EligibleObjects(LabelledSlice slice)
    {
        double minArea = MinAreaFraction * slice.Height * slice.Width;
        var result = new List<(int, int)>();
        for (int m = 0; m < slice.Objects.Count; m++)
            result.AddRange(LabelledSlice.AreasOf(slice.Objects[m]).Where(kv => kv.Value >= minArea).Select(kv => kv.Key).Order().Select(id => (m, id)));
        return result;
    }

    /// <summary>
    /// Training prompts: <paramref name="count"/> objects drawn with replacement, each a jittered
    /// box or a point. With <paramref name="agnosticShare"/> &gt; 0 and class-agnostic objects on the
    /// slice, each object is one of those (label 0) with that probability: a map is drawn first
    /// (uniformly, or by <paramref name="mapWeights"/>), then an object of it, so that maps with
    /// many small parcels do not crowd out the tissue classes and the brain.
    /// </summary>
    /// <param name="mapWeights">Relative weight of each object map when one is drawn (by map index; null: all equal).</param>
    /// <param name="interiorClickShare">Share of clicks drawn from the object's core (<see cref="CorePoint"/>) rather than anywhere in it.</param>
    public IReadOnlyList<PromptedObject> SampleTraining(LabelledSlice slice, int count, double boxProbability, SplitRandom rng, double agnosticShare = 0,
                                                        IReadOnlyList<double>? mapWeights = null, double interiorClickShare = 0)
    {
        var eligible = Eligible(slice);
        // Object ids per map, maps in ascending order (only maps with an eligible object).
        var agnostic = (agnosticShare > 0 ? EligibleObjects(slice) : []).GroupBy(o => o.Map).ToDictionary(g => g.Key, g => g.Select(o => o.Id).ToArray());
        var agnosticMaps = agnostic.Keys.Order().ToArray();
        if (eligible.Count == 0 && agnostic.Count == 0) return [];
        var objects = new List<PromptedObject>(count);
        for (int i = 0; i < count; i++)
        {
            bool classAgnostic = agnostic.Count > 0 && (eligible.Count == 0 || rng.NextDouble() < agnosticShare);
            int label = 0;
            byte[] mask;
            if (classAgnostic)
            {
                int map = mapWeights is null ? agnosticMaps[rng.Next(agnosticMaps.Length)] : Weighted(agnosticMaps, mapWeights, rng);
                var ids = agnostic[map];
                mask = LabelledSlice.MaskOf(slice.Objects[map], ids[rng.Next(ids.Length)]);
            }
            else
            {
                label = eligible[rng.Next(eligible.Count)];
                mask = slice.Mask(label);
            }
            var prompt = rng.NextDouble() < boxProbability
                ? new SamPrompt { Box = JitteredBox(mask, slice.Height, slice.Width, rng) }
                : new SamPrompt { Points = [Click(mask, slice.Height, slice.Width, interiorClickShare, rng)] };
            objects.Add(new PromptedObject(label, prompt, mask));
        }
        return objects;
    }

    static int Weighted(int[] maps, IReadOnlyList<double> weights, SplitRandom rng)
    {
        double total = maps.Sum(m => weights[m]);
        double pick = rng.NextDouble() * total;
        foreach (int m in maps)
        {
            pick -= weights[m];
            if (pick < 0) return m;
        }
        return maps[^1];
    }

    /// <summary>Test prompts: every eligible object once, with an exact box or a deterministic point.</summary>
    public IReadOnlyList<PromptedObject> TestObjects(LabelledSlice slice, bool box)
    {
        var objects = new List<PromptedObject>();
        foreach (int label in Eligible(slice))
        {
            var mask = slice.Mask(label);
            var prompt = box
                ? new SamPrompt { Box = ExactBox(mask, slice.Height, slice.Width) }
                : new SamPrompt { Points = [CentralPoint(mask, slice.Height, slice.Width)] };
            objects.Add(new PromptedObject(label, prompt, mask));
        }
        return objects;
    }

    /// <summary>Bounding box of the largest 8-connected component: first and last pixel indices (inclusive).</summary>
    public static BoxPrompt ExactBox(byte[] mask, int height, int width)
    {
        var (x0, y0, x1, y1) = MaskGeometry.LargestComponentBounds(mask, height, width);
        return new BoxPrompt(x0, y0, x1, y1);
    }

    static BoxPrompt JitteredBox(byte[] mask, int height, int width, SplitRandom rng)
    {
        var exact = ExactBox(mask, height, width);
        int w = (int)(exact.X1 - exact.X0), h = (int)(exact.Y1 - exact.Y0);
        int maxNoise = Math.Min(5, (int)(Math.Min(w, h) * 0.1 * 5));
        if (maxNoise <= 0) return exact;
        // SAM-Med2D draws randint(-m, m): upper bound exclusive. Kept inside the image here.
        int dx = rng.Next(-maxNoise, maxNoise - 1), dy = rng.Next(-maxNoise, maxNoise - 1);
        return new BoxPrompt(Math.Clamp(exact.X0 + dx, 0, width - 1), Math.Clamp(exact.Y0 + dy, 0, height - 1),
                             Math.Clamp(exact.X1 + dx, 0, width - 1), Math.Clamp(exact.Y1 + dy, 0, height - 1));
    }

    // No draw for the share when it is 0, so that runs without it keep their random sequence.
    static PointPrompt Click(byte[] mask, int height, int width, double interiorClickShare, SplitRandom rng) =>
        interiorClickShare > 0 && rng.NextDouble() < interiorClickShare ? CorePoint(mask, height, width, rng) : RandomPoint(mask, width, rng);

    /// <summary>
    /// A uniformly drawn pixel of the object's core: those at least half as far from the border as
    /// the deepest pixel (<see cref="CentralPoint"/>, the click the evaluation and interactive
    /// segmentation benchmarks give first). People click well inside an object; a click next to
    /// its border is as close to the neighbour's.
    /// </summary>
    public static PointPrompt CorePoint(byte[] mask, int height, int width, SplitRandom rng)
    {
        var depth = MaskGeometry.DistanceToBackground(mask, height, width);
        int deepest = depth.Max();
        if (deepest == 0) throw new ArgumentException("the mask is empty");
        int floor = (deepest + 1) / 2;
        return RandomPoint(Array.ConvertAll(depth, d => d >= floor ? (byte)1 : (byte)0), width, rng);
    }

    static PointPrompt RandomPoint(byte[] mask, int width, SplitRandom rng)
    {
        int count = mask.Count(v => v != 0);
        int pick = rng.Next(count);
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            if (pick-- == 0) return new PointPrompt(i % width, i / width, 1);
        }
        throw new InvalidOperationException("empty mask");
    }

    /// <summary>
    /// The object pixel farthest from the object's border (ties: first in row-major order): a
    /// deterministic click that lies inside even concave or ring-shaped objects.
    /// </summary>
    public static PointPrompt CentralPoint(byte[] mask, int height, int width)
    {
        var depth = MaskGeometry.DistanceToBackground(mask, height, width);
        int best = Array.IndexOf(depth, depth.Max());
        return new PointPrompt(best % width, best / width, 1);
    }
}
