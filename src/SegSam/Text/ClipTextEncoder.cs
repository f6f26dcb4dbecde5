using SegSam.Checkpoints;
using SegSam.Modeling.Clip;
using static TorchSharp.torch;

namespace SegSam.Text;

/// <summary>
/// CLIP's text tower as a fixed text encoder (SPEC §6: "a CLIP text transformer loading public
/// weights"): texts tokenized by <see cref="ClipTokenizer"/> (truncated to CLIP's context), encoded,
/// L2-normalised as CLIP compares them. The weights are any CLIP checkpoint
/// <see cref="ClipWeights"/> reads; the tower loads on first use.
/// </summary>
public sealed class ClipTextEncoder : ITextEncoder, IDisposable
{
    readonly string path;
    readonly Lazy<ClipTextTower> tower;
    readonly Lazy<ClipConfig> config;

    public ClipTextEncoder(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP checkpoint not found: {path}. Download {ClipWeights.DownloadHint}.", path);
        this.path = path;
        config = new Lazy<ClipConfig>(() => ClipWeights.ReadConfig(path));
        tower = new Lazy<ClipTextTower>(() => ClipWeights.LoadText(path, config.Value));
    }

    /// <summary>The file's name and size: a different checkpoint gives other vectors, so other cache keys.</summary>
    public string Id => $"clip:{Path.GetFileName(path)}:{new FileInfo(path).Length}";

    public int Dimension => config.Value.EmbedDim;

    public float[][] Encode(IReadOnlyList<string> texts)
    {
        var model = tower.Value;
        if (model.Config.VocabSize != ClipTokenizer.ClipVocabularySize)
            throw new InvalidDataException($"{path}: the text tower has {model.Config.VocabSize} token ids; CLIP's tokenizer needs {ClipTokenizer.ClipVocabularySize}");
        if (texts.Count == 0) return [];
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var ids = tensor(ClipTokenizer.Default.Tokenize(texts, model.Config.ContextLength, truncate: true));
        var features = nn.functional.normalize(model.forward(ids), p: 2, dim: 1).contiguous();
        var flat = features.data<float>().ToArray();
        int d = (int)features.shape[1];
        return Enumerable.Range(0, texts.Count).Select(i => flat.AsSpan(i * d, d).ToArray()).ToArray();
    }

    public void Dispose()
    {
        if (tower.IsValueCreated) tower.Value.Dispose();
    }
}
