using SegSam.Data;
using SegSam.Modeling;

namespace SegSam.Tests.Support;

/// <summary>Tiny SEG-SAM configs and a synthetic labelled dataset, so training tests take seconds.</summary>
public static class TinySegSam
{
    public static readonly string[] Categories = ["square", "disc", "bar"];

    /// <summary>A 32-pixel, one-channel SAM (grid 8, 2 blocks) with the given SEG-SAM variant.</summary>
    public static SegSamConfig Config(string variant = "full")
    {
        var sam = new SamConfig
        {
            ImageEncoder = new ImageEncoderConfig
            {
                ImgSize = 32, PatchSize = 4, InChans = 1, EmbedDim = 16, Depth = 2, NumHeads = 2, OutChans = 16,
                WindowSize = 4, GlobalAttnIndexes = [1],
            },
            PromptEncoder = new PromptEncoderConfig { EmbedDim = 16, MaskInChans = 8 },
            MaskDecoder = new MaskDecoderConfig { TransformerDepth = 1, TransformerMlpDim = 16, TransformerNumHeads = 2, IouHeadHiddenDim = 16 },
            PixelMean = [127.5],
            PixelStd = [64],
        };
        return SegSamConfig.Variant(variant, sam, Categories, textDim: 8);
    }

    /// <summary>
    /// Slices with up to three shapes (label 1 square, 2 disc, 3 bar) at random places on noise,
    /// each shape brighter than the background so that the task is learnable.
    /// </summary>
    public static SliceDataset Dataset(int count, int size = 32, ulong seed = 1)
    {
        var rng = new SplitRandom(seed);
        var slices = new List<LabelledSlice>();
        for (int s = 0; s < count; s++)
        {
            var image = new float[size * size];
            var labels = new int[size * size];
            for (int i = 0; i < image.Length; i++) image[i] = 40 + rng.Next(20);
            int sx = rng.Next(2, 10), sy = rng.Next(2, 10);
            Fill(image, labels, size, 1, 200, (x, y) => x >= sx && x < sx + 8 && y >= sy && y < sy + 8);
            int cx = rng.Next(20, 26), cy = rng.Next(6, 26);
            Fill(image, labels, size, 2, 150, (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 16);
            if (s % 2 == 0)
            {
                int by = rng.Next(22, 28);
                Fill(image, labels, size, 3, 250, (x, y) => y >= by && y < by + 3 && x >= 2 && x < 16);
            }
            slices.Add(new LabelledSlice($"synthetic-{s:D3}", size, size, image, labels));
        }
        return new SliceDataset { Name = "synthetic", Modality = "MR", Categories = Categories, PixelSpacing = [1, 1], Slices = slices };
    }

    static void Fill(float[] image, int[] labels, int size, int label, float value, Func<int, int, bool> inside)
    {
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            if (!inside(x, y)) continue;
            image[y * size + x] = value;
            labels[y * size + x] = label;
        }
    }
}
