using SegSam.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>
/// Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019) with PyTorch's update rule:
/// m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε);
/// Adam adds weight decay to the gradient, AdamW shrinks the weights by lr·wd first.
/// Our own rather than TorchSharp's because TorchSharp 0.107's optimizers pass temporary Scalars
/// to libtorch that the garbage collector may free mid-call (it crashed a training run); here
/// every Scalar lives until its call returns. Its state saves to safetensors by parameter name.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    readonly (string Name, Parameter Param, Tensor ExpAvg, Tensor ExpAvgSq)[] slots;
    readonly bool decoupled;
    readonly double beta1, beta2, eps;

    public double LearningRate { get; set; }
    public double WeightDecay { get; }
    public long Step { get; private set; }

    public AdamOptimizer(IEnumerable<(string Name, Parameter Param)> parameters, double learningRate, double weightDecay = 0,
                         bool decoupledWeightDecay = false, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        slots = parameters.Select(p => (p.Name, p.Param, zeros_like(p.Param).DetachFromDisposeScope(), zeros_like(p.Param).DetachFromDisposeScope())).ToArray();
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        decoupled = decoupledWeightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /// <summary>
    /// Drops the gradients (PyTorch's zero_grad(set_to_none=True)): a parameter that gets no
    /// gradient in a step is then skipped rather than moved by its momentum, and a run resumed
    /// from a checkpoint (where no gradient exists yet) steps exactly like an uninterrupted one.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _, _) in slots) p.grad = null;
    }

    /// <summary>
    /// Whether every gradient is finite. One NaN or ∞ stepped into the moments would stay there and
    /// turn every later update into NaN; the trainers skip such a step instead (libtorch's oneDNN
    /// convolution backward has produced random NaN gradients on this machine).
    /// </summary>
    public bool GradientsAreFinite()
    {
        using var scope = NewDisposeScope();
        var checks = new List<Tensor>(slots.Length);
        foreach (var (_, p, _, _) in slots)
        {
            var grad = p.grad;
            if (grad is not null) checks.Add(grad.isfinite().all());
        }
        return checks.Count == 0 || stack(checks).all().item<bool>();
    }

    public void StepOnce()
    {
        Step++;
        using var noGrad = no_grad();
        double bias1 = 1 - Math.Pow(beta1, Step), bias2 = 1 - Math.Pow(beta2, Step);
        using var b1 = beta1.ToScalar();
        using var oneMinusB1 = (1 - beta1).ToScalar();
        using var b2 = beta2.ToScalar();
        using var oneMinusB2 = (1 - beta2).ToScalar();
        using var stepSize = (-LearningRate / bias1).ToScalar();
        using var sqrtBias2 = Math.Sqrt(bias2).ToScalar();
        using var shrink = (1 - LearningRate * WeightDecay).ToScalar();
        using var decay = WeightDecay.ToScalar();
        foreach (var (_, p, m, v) in slots)
        {
            // Each read of .grad is a new wrapper: dispose it.
            using var grad = p.grad;
            if (grad is null) continue;
            using var scope = NewDisposeScope();
            var g = grad;
            if (WeightDecay != 0)
            {
                if (decoupled) p.mul_(shrink);
                else g = grad.add(p, decay);
            }
            m.mul_(b1).add_(g, oneMinusB1);
            v.mul_(b2).addcmul_(g, g, oneMinusB2);
            var denom = v.sqrt().div_(sqrtBias2).PlusInPlace(eps);
            p.addcdiv_(m, denom, stepSize);
        }
    }

    /// <summary>Writes the moment estimates (and the step count) as safetensors, atomically.</summary>
    public void Save(string path)
    {
        var tensors = slots.SelectMany(s => new[]
        {
            new KeyValuePair<string, Tensor>("exp_avg." + s.Name, s.ExpAvg),
            new KeyValuePair<string, Tensor>("exp_avg_sq." + s.Name, s.ExpAvgSq),
        });
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Restores a state written by <see cref="Save"/> for the same parameters.</summary>
    public void Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        using (tensors)
        {
            using var noGrad = no_grad();
            foreach (var (name, _, m, v) in slots)
            {
                if (!tensors.TryGet("exp_avg." + name, out var savedM) || !tensors.TryGet("exp_avg_sq." + name, out var savedV))
                    throw new InvalidDataException($"{path}: optimizer state has no moments for parameter {name}");
                if (!savedM.shape.SequenceEqual(m.shape) || !savedV.shape.SequenceEqual(v.shape))
                    throw new InvalidDataException($"{path}: optimizer state for {name} has another shape");
                m.copy_(savedM);
                v.copy_(savedV);
            }
        }
        if (!metadata.TryGetValue("step", out var step) || !long.TryParse(step, System.Globalization.CultureInfo.InvariantCulture, out long s))
            throw new InvalidDataException($"{path}: optimizer state has no step count");
        Step = s;
    }

    public void Dispose()
    {
        foreach (var (_, _, m, v) in slots)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
