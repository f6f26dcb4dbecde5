using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling.Clip;

/// <summary>
/// A stack of <see cref="ClipResidualBlock"/>s (the reference Transformer; its blocks are
/// <c>resblocks.N.*</c> in the state dict). B×L×W → B×L×W, the same mask for every block.
/// </summary>
public sealed class ClipTransformer : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly ModuleList<ClipResidualBlock> resblocks;

    public long Width { get; }
    public int Layers => resblocks.Count;

    public ClipTransformer(long width, int layers, long heads) : base(nameof(ClipTransformer))
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "a CLIP transformer needs at least one block");
        Width = width;
        resblocks = new ModuleList<ClipResidualBlock>();
        for (int i = 0; i < layers; i++) resblocks.Add(new ClipResidualBlock(width, heads));
        RegisterComponents();
    }

    /// <summary>The blocks, in order.</summary>
    public IReadOnlyList<ClipResidualBlock> Blocks => [.. resblocks];

    /// <param name="x">B×L×W tokens.</param>
    /// <param name="mask">Optional L×L additive attention mask (the text tower's causal mask).</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        if (x.dim() != 3 || x.shape[2] != Width)
            throw new ArgumentException($"CLIP transformer expects B×L×{Width} tokens, got {Shapes.Format(x.shape)}");
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var block in resblocks) h = block.forward(h, mask);
        return h.MoveToOuterDisposeScope();
    }
}
