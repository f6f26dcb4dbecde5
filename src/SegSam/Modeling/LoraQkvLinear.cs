using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAM's fused q/k/v projection (Linear C → 3C) frozen, with LoRA on q and v as PG-SAM's
/// <c>_LoRA_qkv</c>: qkv = x·Wᵀ + b, then q += scale·B_q·A_q·x and v += scale·B_v·A_v·x; k is
/// untouched. W and b keep the Linear's names, so <c>blocks.N.attn.qkv.weight</c>/<c>.bias</c>
/// of a SAM checkpoint still load; the factors are <c>linear_a_q</c>, <c>linear_b_q</c>,
/// <c>linear_a_v</c>, <c>linear_b_v</c> (PG-SAM's module names), the only trainable parameters.
/// </summary>
public sealed class LoraQkvLinear : LoraModule
{
    readonly Parameter weight;
    readonly Parameter? bias;
    readonly Linear linear_a_q;
    readonly Linear linear_b_q;
    readonly Linear linear_a_v;
    readonly Linear linear_b_v;

    public int Rank { get; }
    public double Scale { get; }
    /// <summary>C: the token width, and the width of each of q, k and v.</summary>
    public long Dim { get; }

    /// <summary>The frozen weight (3C×C; merged, it holds the q and v updates).</summary>
    public Parameter Weight => weight;

    /// <summary>The frozen bias (3C), or null: what a zero token projects to, merged or not.</summary>
    public Parameter? Bias => bias;

    /// <summary>
    /// Takes over <paramref name="qkv"/>'s weight and bias (the same tensors, now frozen): use
    /// this module in its place and not the Linear itself.
    /// </summary>
    /// <param name="alpha">LoRA alpha; null = <paramref name="rank"/> (scale 1: PG-SAM adds B·A·x unscaled).</param>
    public LoraQkvLinear(Linear qkv, int rank, double? alpha = null) : base(nameof(LoraQkvLinear))
    {
        ArgumentNullException.ThrowIfNull(qkv);
        weight = qkv.weight ?? throw new ArgumentException("the qkv Linear has no weight", nameof(qkv));
        if (weight.dim() != 2 || weight.shape[0] != 3 * weight.shape[1])
            throw new ArgumentException($"a fused qkv projection is C → 3C; this weight is {Shapes.Format(weight.shape)}", nameof(qkv));
        bias = qkv.bias;
        weight.requires_grad = false;
        if (bias is not null) bias.requires_grad = false;
        Dim = weight.shape[1];
        (linear_a_q, linear_b_q) = LoraFactors.Create(Dim, Dim, rank, weight);
        (linear_a_v, linear_b_v) = LoraFactors.Create(Dim, Dim, rank, weight);
        Rank = rank;
        Scale = LoraFactors.Scale(rank, alpha);
        RegisterComponents();
    }

    /// <summary>
    /// Puts LoRA on <paramref name="owner"/>'s fused projection <paramref name="current"/>, the
    /// child module called <paramref name="name"/>: the wrapper is registered under the same name,
    /// so the weights keep their state-dict names. Returns the wrapper for the owner's field.
    /// </summary>
    public static LoraQkvLinear Wrap(nn.Module owner, string name, nn.Module<Tensor, Tensor> current, int rank, double? alpha)
    {
        if (current is not Linear linear) throw new InvalidOperationException($"LoRA is already applied to this attention's {name}");
        var lora = new LoraQkvLinear(linear, rank, alpha);
        owner.register_module(name, null!); // null unregisters the Linear, freeing the name
        owner.register_module(name, lora);
        return lora;
    }

    public override Tensor forward(Tensor x)
    {
        LoraFactors.CheckInput(x, Dim, nameof(LoraQkvLinear));
        using var scope = NewDisposeScope();
        var qkv = nn.functional.linear(x, weight, bias);
        if (Merged) return qkv.MoveToOuterDisposeScope();
        var parts = qkv.chunk(3, -1);
        var q = parts[0].Plus(LoraFactors.Update(x, linear_a_q, linear_b_q, Scale));
        var v = parts[2].Plus(LoraFactors.Update(x, linear_a_v, linear_b_v, Scale));
        return cat([q, parts[1], v], -1).MoveToOuterDisposeScope();
    }

    /// <summary>The trainable A_q, B_q, A_v, B_v.</summary>
    public override IEnumerable<Parameter> LoraParameters() => [linear_a_q.weight!, linear_b_q.weight!, linear_a_v.weight!, linear_b_v.weight!];

    /// <summary>W_q ± scale·B_q·A_q and W_v ± scale·B_v·A_v (rows 0..C and 2C..3C); k's rows are untouched.</summary>
    protected override void Fold(int sign)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var dq = LoraFactors.Product(linear_a_q, linear_b_q, Scale);
        var dv = LoraFactors.Product(linear_a_v, linear_b_v, Scale);
        // narrow() views the rows in place, so the adds land in the weight itself.
        weight.narrow(0, 0, Dim).PlusInPlace(sign > 0 ? dq : dq.neg());
        weight.narrow(0, 2 * Dim, Dim).PlusInPlace(sign > 0 ? dv : dv.neg());
    }
}
