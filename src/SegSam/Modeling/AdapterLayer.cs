using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAM-Med2D's adapter (facts from its code, OpenGVLab/SAM-Med2D at bfd2b93): on a B×H×W×C token
/// grid, a squeeze-and-excitation channel gate (mean over the grid → Linear C→C/4 → ReLU →
/// Linear C/4→C → sigmoid, no biases) scales the tokens, a spatial path (3×3 conv stride 2 →
/// ReLU → 4×4 transposed conv stride 2 → ReLU, no biases) refines them, the result is added to
/// the input and layer-normalised. The ViT block adds it next to its MLP:
/// x + mlp(norm2(x)) + adapter(norm2(x)).
/// </summary>
internal sealed class AdapterLayer : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm;
    readonly Sequential channel;
    readonly Sequential spatial;

    public AdapterLayer(long dim, double mlpRatio = 0.25, double layerNormEps = 1e-5) : base(nameof(AdapterLayer))
    {
        long hidden = (long)(dim * mlpRatio);
        norm = nn.LayerNorm(dim, eps: layerNormEps);
        channel = nn.Sequential(nn.Linear(dim, hidden, hasBias: false), nn.ReLU(), nn.Linear(hidden, dim, hasBias: false), nn.Sigmoid());
        spatial = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size: 3, stride: 2, padding: 1, bias: false),
            nn.ReLU(),
            nn.ConvTranspose2d(dim, dim, kernel_size: 4, stride: 2, padding: 1, bias: false),
            nn.ReLU());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var chw = x.permute(0, 3, 1, 2);
        var gate = channel.forward(chw.mean([2, 3])).unsqueeze(-1).unsqueeze(-1);
        var refined = spatial.forward(gate * chw);
        return norm.forward(chw.Plus(refined).permute(0, 2, 3, 1)).MoveToOuterDisposeScope();
    }
}
