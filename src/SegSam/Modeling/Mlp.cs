using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// A stack of Linear layers with ReLU between them and an optional sigmoid at the end
/// (the reference mask_decoder.MLP, used for the hypernetworks and the IoU head).
/// </summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Linear> layers;
    readonly bool sigmoidOutput;

    public Mlp(long inputDim, long hiddenDim, long outputDim, int numLayers, bool sigmoidOutput = false) : base(nameof(Mlp))
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), "an MLP needs at least one layer");
        layers = new ModuleList<Linear>();
        for (int i = 0; i < numLayers; i++)
        {
            long n = i == 0 ? inputDim : hiddenDim;
            long k = i == numLayers - 1 ? outputDim : hiddenDim;
            layers.Add(nn.Linear(n, k));
        }
        this.sigmoidOutput = sigmoidOutput;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (i < layers.Count - 1) x = nn.functional.relu(x);
        }
        if (sigmoidOutput) x = x.sigmoid();
        return x.MoveToOuterDisposeScope();
    }
}
