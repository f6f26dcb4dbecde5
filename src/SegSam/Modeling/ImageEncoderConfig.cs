using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>Image encoder hyper-parameters; names mirror the reference ImageEncoderViT arguments.</summary>
public sealed record ImageEncoderConfig
{
    public int ImgSize { get; init; } = 1024;
    public int PatchSize { get; init; } = 16;
    public int InChans { get; init; } = 3;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public double MlpRatio { get; init; } = 4.0;
    public int OutChans { get; init; } = 256;
    public bool QkvBias { get; init; } = true;
    public bool UseAbsPos { get; init; } = true;
    public bool UseRelPos { get; init; } = true;
    public int WindowSize { get; init; } = 14;
    public int[] GlobalAttnIndexes { get; init; } = [2, 5, 8, 11];
    public double LayerNormEps { get; init; } = 1e-6;
    /// <summary>SAM-Med2D's adapter in every block (see AdapterLayer); false = SAM's encoder.</summary>
    public bool Adapter { get; init; }

    /// <summary>Side of the square token grid the encoder produces.</summary>
    [JsonIgnore] public int GridSize => ImgSize / PatchSize;
}
