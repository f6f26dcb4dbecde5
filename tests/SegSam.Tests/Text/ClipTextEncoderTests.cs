using SegSam.Checkpoints;
using SegSam.Modeling.Clip;
using SegSam.Tests.Modeling;
using SegSam.Tests.Support;
using SegSam.Text;
using static TorchSharp.torch;

namespace SegSam.Tests.Text;

public class ClipTextEncoderTests
{
    [Fact]
    public void EncodesLikeClipsTextTowerNormalised()
    {
        using var dir = new TempDir();
        string path = dir.File("clip.safetensors");
        manual_seed(12);
        using var clip = new ClipModel(PgSamClipTests.TinyClip);
        ClipWeights.Save(clip, path);

        using var encoder = (ClipTextEncoder)TextEncoders.Create("clip:" + path);
        Assert.Equal(8, encoder.Dimension);
        Assert.StartsWith("clip:clip.safetensors:", encoder.Id);
        string[] texts = ["the liver, large and homogeneous", "a small round gallbladder"];
        var vectors = encoder.Encode(texts);

        using var ids = tensor(ClipTokenizer.Default.Tokenize(texts));
        using var expected = nn.functional.normalize(clip.EncodeText(ids), p: 2, dim: 1);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1.0, Math.Sqrt(vectors[i].Sum(v => (double)v * v)), 5);
            for (int j = 0; j < 8; j++) Assert.Equal(expected[i, j].item<float>(), vectors[i][j], 5);
        }
        Assert.NotEqual(vectors[0], vectors[1]);
    }

    [Fact]
    public void MissingWeightsAndForeignVocabulariesAreClearErrors()
    {
        using var dir = new TempDir();
        string missing = dir.File("none.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => TextEncoders.Create("clip:" + missing));
        Assert.Contains(missing, error.Message);
        Assert.Contains("ViT-B/32", error.Message);
        Assert.Throws<ArgumentException>(() => TextEncoders.Create("clip:"));

        string small = dir.File("small.safetensors");
        using (var clip = new ClipModel(PgSamClipTests.TinyClip with { VocabSize = 64 }))
            ClipWeights.Save(clip, small);
        using var encoder = new ClipTextEncoder(small);
        Assert.Contains("49408", Assert.Throws<InvalidDataException>(() => encoder.Encode(["x"])).Message);
    }
}
