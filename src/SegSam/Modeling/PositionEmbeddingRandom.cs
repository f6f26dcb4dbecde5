using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Positional encoding with random Gaussian spatial frequencies (Tancik et al. 2020), as SAM's
/// prompt encoder uses it: [sin(2π·(2p−1)·G), cos(2π·(2p−1)·G)] for points p in [0,1]².
/// </summary>
internal sealed class PositionEmbeddingRandom : nn.Module
{
    readonly Tensor positional_encoding_gaussian_matrix;

    public PositionEmbeddingRandom(long numPosFeats, double scale = 1.0) : base(nameof(PositionEmbeddingRandom))
    {
        if (scale <= 0) scale = 1.0;
        positional_encoding_gaussian_matrix = randn(2, numPosFeats).TimesInPlace(scale);
        register_buffer(nameof(positional_encoding_gaussian_matrix), positional_encoding_gaussian_matrix);
        RegisterComponents();
    }

    /// <summary>Encodes coordinates already normalised to [0, 1]; … × 2 → … × 2F.</summary>
    Tensor Encode(Tensor coords)
    {
        using var scope = NewDisposeScope();
        var projected = coords.Times(2).Minus(1).matmul(positional_encoding_gaussian_matrix);
        projected = projected.Times(2 * Math.PI);
        return cat([projected.sin(), projected.cos()], -1).MoveToOuterDisposeScope();
    }

    /// <summary>Encoding of every cell centre of an h×w grid: 2F × h × w.</summary>
    public Tensor ForGrid(long h, long w)
    {
        using var scope = NewDisposeScope();
        var grid = ones([h, w], dtype: ScalarType.Float32, device: positional_encoding_gaussian_matrix.device);
        var y = grid.cumsum(0).Minus(0.5).Over(h);
        var x = grid.cumsum(1).Minus(0.5).Over(w);
        var pe = Encode(stack([x, y], -1));
        return pe.permute(2, 0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes B×N×2 pixel coordinates (x, y) of an image of the given (H, W) size.</summary>
    public Tensor ForCoords(Tensor coords, (long H, long W) imageSize)
    {
        using var scope = NewDisposeScope();
        var x = coords.select(-1, 0).Over(imageSize.W);
        var y = coords.select(-1, 1).Over(imageSize.H);
        var normalised = stack([x, y], -1).to(ScalarType.Float32);
        return Encode(normalised).MoveToOuterDisposeScope();
    }
}
