using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAM's ViT image encoder: patch embedding, absolute position embedding, windowed/global
/// attention blocks and a convolutional neck; B×3×S×S → B×out_chans×(S/p)×(S/p).
/// </summary>
public sealed class ImageEncoderViT : nn.Module<Tensor, Tensor>
{
    readonly PatchEmbed patch_embed;
    readonly Parameter? pos_embed;
    readonly ModuleList<VitBlock> blocks;
    readonly Sequential neck;

    public ImageEncoderConfig Config { get; }
    public int ImgSize => Config.ImgSize;

    /// <summary>The ViT blocks, in order.</summary>
    public IReadOnlyList<VitBlock> Blocks => [.. blocks];

    /// <summary>The format the encoder computes in (its weights'); its input and output are float32 either way.</summary>
    public EncoderPrecision Precision { get; private set; } = EncoderPrecision.Float32;

    public ImageEncoderViT(ImageEncoderConfig config) : base(nameof(ImageEncoderViT))
    {
        Config = config;
        long grid = config.GridSize;
        patch_embed = new PatchEmbed(config.PatchSize, config.InChans, config.EmbedDim);
        if (config.UseAbsPos)
            pos_embed = new Parameter(zeros(1, grid, grid, config.EmbedDim));
        blocks = new ModuleList<VitBlock>();
        for (int i = 0; i < config.Depth; i++)
        {
            bool global = config.GlobalAttnIndexes.Contains(i);
            blocks.Add(new VitBlock(config.EmbedDim, config.NumHeads, config.MlpRatio, config.QkvBias, config.UseRelPos,
                global ? 0 : config.WindowSize, (grid, grid), config.LayerNormEps, config.Adapter));
        }
        neck = nn.Sequential(
            nn.Conv2d(config.EmbedDim, config.OutChans, kernel_size: 1, bias: false),
            new LayerNorm2d(config.OutChans),
            nn.Conv2d(config.OutChans, config.OutChans, kernel_size: 3, padding: 1, bias: false),
            new LayerNorm2d(config.OutChans));
        RegisterComponents();
    }

    /// <summary>
    /// Converts the encoder's weights to <paramref name="precision"/> (inference only: a bf16
    /// encoder is not trained). Converting back to float32 restores the format, not the digits lost.
    /// </summary>
    public void SetPrecision(EncoderPrecision precision)
    {
        if (precision == Precision) return;
        this.to(precision == EncoderPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
        Precision = precision;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long expected = Config.ImgSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChans || x.shape[2] != expected || x.shape[3] != expected)
            throw new ArgumentException(
                $"image encoder expects B×{Config.InChans}×{expected}×{expected}, got {Shapes.Format(x.shape)}");
        if (Precision == EncoderPrecision.BFloat16) x = x.to(ScalarType.BFloat16);
        var tokens = patch_embed.forward(x);
        if (pos_embed is not null) tokens = tokens.Plus(pos_embed);
        foreach (var block in blocks)
        {
            // Each block's input is released once the next exists (autograd keeps what it needs),
            // so at most two token grids are alive rather than one per block.
            var next = block.forward(tokens);
            tokens.Dispose();
            tokens = next;
        }
        var features = neck.forward(tokens.permute(0, 3, 1, 2));
        if (features.dtype != ScalarType.Float32) features = features.to(ScalarType.Float32);
        return features.MoveToOuterDisposeScope();
    }
}
