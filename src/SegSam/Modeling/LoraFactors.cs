using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// The low-rank pieces LoRA adds to a frozen projection (Hu et al., 2021): A (rank×in) and
/// B (out×rank) as bias-free Linears, the update scale·B·A·x and the dense scale·B·A it folds into
/// the weight. Shared by <see cref="LoraLinear"/> and <see cref="LoraQkvLinear"/>.
/// </summary>
internal static class LoraFactors
{
    /// <summary>
    /// A kaiming-uniform with a = √5 (nn.Linear's default, so U(−1/√in, 1/√in)); B zero, so the
    /// wrapped layer starts out computing exactly what the frozen one does (PG-SAM's
    /// reset_parameters). Both trainable, on <paramref name="like"/>'s device and dtype.
    /// </summary>
    public static (Linear A, Linear B) Create(long inFeatures, long outFeatures, int rank, Tensor like)
    {
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be ≥ 1");
        if (rank > Math.Min(inFeatures, outFeatures))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"LoRA rank must not exceed min(in, out) = {Math.Min(inFeatures, outFeatures)}");
        // On the frozen weight's device and dtype, so a model moved before LoRA is applied still runs.
        var a = nn.Linear(inFeatures, rank, hasBias: false, device: like.device, dtype: like.dtype);
        var b = nn.Linear(rank, outFeatures, hasBias: false, device: like.device, dtype: like.dtype);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(a.weight!, a: Math.Sqrt(5));
            nn.init.zeros_(b.weight!);
        }
        return (a, b);
    }

    /// <summary>scale·B·A·x for …×in tokens: …×out. The product goes through the rank-r bottleneck, never the dense matrix.</summary>
    public static Tensor Update(Tensor x, Linear a, Linear b, double scale)
    {
        using var scope = NewDisposeScope();
        var low = a.forward(x);
        // Scaling the r-wide bottleneck is cheaper than scaling the output; 1 (PG-SAM) skips it.
        if (scale != 1) low = low.Times(scale);
        return b.forward(low).MoveToOuterDisposeScope();
    }

    /// <summary>The dense out×in matrix scale·B·A, detached: what <c>Merge</c> adds to the frozen weight.</summary>
    public static Tensor Product(Linear a, Linear b, double scale)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var product = b.weight!.matmul(a.weight!);
        if (scale != 1) product = product.Times(scale);
        return product.MoveToOuterDisposeScope();
    }

    /// <summary>alpha / rank, validated; alpha defaults to the rank (scale 1, what PG-SAM's adapters apply).</summary>
    public static double Scale(int rank, double? alpha)
    {
        double a = alpha ?? rank;
        if (!(a > 0) || double.IsInfinity(a)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be positive and finite");
        return a / rank;
    }

    /// <summary>Throws unless the last dimension of <paramref name="x"/> is <paramref name="inFeatures"/> (a bad matmul would abort the process).</summary>
    public static void CheckInput(Tensor x, long inFeatures, string module)
    {
        if (x.dim() < 1 || x.shape[^1] != inFeatures)
            throw new ArgumentException($"{module} expects …×{inFeatures} inputs, got {Shapes.Format(x.shape)}");
    }
}
