using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// A frozen projection with a LoRA update (<see cref="LoraLinear"/>, <see cref="LoraQkvLinear"/>):
/// its trainable factors, and folding the update into the frozen weight for inference and back.
/// </summary>
public abstract class LoraModule : nn.Module<Tensor, Tensor>
{
    protected LoraModule(string name) : base(name) { }

    /// <summary>True while the update is folded into the weight (it is then not added again).</summary>
    public bool Merged { get; private set; }

    /// <summary>The trainable factors.</summary>
    public abstract IEnumerable<Parameter> LoraParameters();

    /// <summary>W ← W + scale·B·A where the update applies; the output stays the same (up to rounding) without the extra matmuls.</summary>
    public void Merge()
    {
        if (Merged) return;
        Fold(sign: 1);
        Merged = true;
    }

    /// <summary>Undoes <see cref="Merge"/>, e.g. to train further.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        Fold(sign: -1);
        Merged = false;
    }

    /// <summary>Adds (sign = 1) or subtracts (−1) scale·B·A to the weight rows the update applies to.</summary>
    protected abstract void Fold(int sign);
}
