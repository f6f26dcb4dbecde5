using SegSam.Modeling;

namespace SegSam.Bench;

/// <summary>
/// Multiply–add count (×2 = FLOPs) of one image-encoder forward pass, from the config:
/// patch embedding, per block qkv/proj/MLP GEMMs and attention, and the neck's 1×1 and 3×3
/// convolutions: the work SegSam executes. Windowed blocks attend over zero-padded windows as the
/// reference does (at 256 input a 16×16 grid pads to 28×28 for 14×14 windows), but project q/k/v
/// and the output for the real tokens only (VitBlock.WindowedAttention).
/// Element-wise work (norms, softmax, GELU, relative-position terms) is not counted.
/// </summary>
public static class EncoderFlops
{
    public static double Forward(ImageEncoderConfig c)
    {
        double g = c.GridSize, tokens = g * g, d = c.EmbedDim;
        double flops = 2 * tokens * (c.InChans * c.PatchSize * c.PatchSize) * d;
        for (int i = 0; i < c.Depth; i++)
        {
            flops += 2 * 2 * tokens * d * (d * c.MlpRatio);  // lin1 + lin2
            bool global = c.GlobalAttnIndexes.Contains(i) || c.WindowSize == 0;
            if (global)
            {
                flops += 2 * tokens * d * 4 * d;             // qkv + proj
                flops += 2 * 2 * tokens * tokens * d;        // q·kᵀ and attn·v
            }
            else
            {
                double padded = Math.Ceiling(g / c.WindowSize) * c.WindowSize;
                double windows = padded / c.WindowSize * (padded / c.WindowSize);
                double perWindow = (double)c.WindowSize * c.WindowSize;
                flops += 2 * tokens * d * 4 * d;             // qkv + proj on real tokens
                flops += windows * 2 * 2 * perWindow * perWindow * d;
            }
        }
        flops += 2 * tokens * d * c.OutChans;                 // neck 1×1
        flops += 2 * tokens * c.OutChans * c.OutChans * 9;    // neck 3×3
        return flops;
    }
}
