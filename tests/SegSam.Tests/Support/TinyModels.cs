using SegSam.Modeling;

namespace SegSam.Tests.Support;

/// <summary>Small configs so model tests run in milliseconds.</summary>
public static class TinyModels
{
    /// <summary>A 64-pixel model with windowed and global blocks and a padded window (grid 8, window 3).</summary>
    public static SamConfig Config(int imgSize = 64, int window = 3) => new()
    {
        ImageEncoder = new ImageEncoderConfig
        {
            ImgSize = imgSize, PatchSize = 8, EmbedDim = 32, Depth = 3, NumHeads = 2, OutChans = 16,
            WindowSize = window, GlobalAttnIndexes = [1],
        },
        PromptEncoder = new PromptEncoderConfig { EmbedDim = 16, MaskInChans = 8 },
        MaskDecoder = new MaskDecoderConfig
        {
            TransformerDepth = 2, TransformerMlpDim = 32, TransformerNumHeads = 2, IouHeadHiddenDim = 16,
        },
    };

    /// <summary>A model whose every parameter is random (normal × 0.2), so zero-initialised ones matter too.</summary>
    public static SamModel Create(SamConfig? config = null, long seed = 1)
    {
        TorchSharp.torch.manual_seed(seed);
        var model = new SamModel(config ?? Config());
        using var noGrad = TorchSharp.torch.no_grad();
        foreach (var p in model.parameters()) p.normal_(0, 0.2);
        return model;
    }
}
