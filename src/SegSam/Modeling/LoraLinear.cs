using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// A frozen Linear with a LoRA update: y = x·(W + scale·B·A)ᵀ + b, scale = alpha / rank, for a
/// separate projection such as the q or v projection of a text-encoder block. W and b keep the
/// wrapped layer's names (<c>weight</c>, <c>bias</c>), so a checkpoint of the plain model loads
/// into the wrapped one; A and B are <c>linear_a.weight</c> and <c>linear_b.weight</c>, the only
/// trainable parameters. <see cref="LoraModule.Merge"/> folds the update into W for inference.
/// </summary>
internal sealed class LoraLinear : LoraModule
{
    readonly Parameter weight;
    readonly Parameter? bias;
    readonly Linear linear_a;
    readonly Linear linear_b;

    public int Rank { get; }
    public double Scale { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    /// <summary>
    /// Takes over <paramref name="frozen"/>'s weight and bias (the same tensors, now frozen): use
    /// this module in its place and not the Linear itself.
    /// </summary>
    /// <param name="alpha">LoRA alpha; null = <paramref name="rank"/> (scale 1, as PG-SAM's adapters).</param>
    public LoraLinear(Linear frozen, int rank, double? alpha = null) : base(nameof(LoraLinear))
    {
        ArgumentNullException.ThrowIfNull(frozen);
        weight = frozen.weight ?? throw new ArgumentException("the Linear has no weight", nameof(frozen));
        bias = frozen.bias;
        weight.requires_grad = false;
        if (bias is not null) bias.requires_grad = false;
        OutFeatures = weight.shape[0];
        InFeatures = weight.shape[1];
        (linear_a, linear_b) = LoraFactors.Create(InFeatures, OutFeatures, rank, weight);
        Rank = rank;
        Scale = LoraFactors.Scale(rank, alpha);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        LoraFactors.CheckInput(x, InFeatures, nameof(LoraLinear));
        using var scope = NewDisposeScope();
        var y = nn.functional.linear(x, weight, bias);
        if (!Merged) y = y.Plus(LoraFactors.Update(x, linear_a, linear_b, Scale));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The trainable A (rank×in) and B (out×rank).</summary>
    public override IEnumerable<Parameter> LoraParameters() => [linear_a.weight!, linear_b.weight!];

    protected override void Fold(int sign)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var delta = LoraFactors.Product(linear_a, linear_b, Scale);
        weight.PlusInPlace(sign > 0 ? delta : delta.neg());
    }
}
