using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>SAM-Med2D's encoder with adapters, against its reference implementation's output.</summary>
[Collection(Serial.Name)] // one test switches the default device
public class AdapterParityTests
{
    [Fact]
    public void EncoderWithAdaptersReproducesSamMed2D()
    {
        string dir = Path.Combine(Fixtures.RepoFixtures, "sam-med2d-adapter", "tiny");
        var config = SamConfig.Load(Path.Combine(dir, "config.json"));
        Assert.True(config.ImageEncoder.Adapter);
        using var encoder = new ImageEncoderViT(config.ImageEncoder);
        using var weights = CheckpointFile.Load(Path.Combine(dir, "encoder.pth"));
        var stripped = weights.Select(kv => new KeyValuePair<string, Tensor>(kv.Key["image_encoder.".Length..], kv.Value));
        Assert.True(WeightLoader.Load(encoder, stripped, "encoder.pth").IsExact);
        encoder.eval();
        using var input = NpyFile.Read(Path.Combine(dir, "input.npy")).ToTensor();
        using var noGrad = no_grad();
        using var output = encoder.forward(input);
        var actual = NpyArray.FromTensor(output);
        SamParityCase.AssertClose(NpyFile.Read(Path.Combine(dir, "embedding.npy")), actual.ToFloat32(), actual.Shape, 1e-4, false, "embedding");
    }

    [Fact]
    public void AdapterAddsItsParametersUnderSamMed2DNames()
    {
        var config = SamConfig.Preset("vit_b_256");
        set_default_device(META);
        try
        {
            using var plain = new ImageEncoderViT(config.ImageEncoder);
            using var adapted = new ImageEncoderViT(config.ImageEncoder with { Adapter = true });
            var extra = adapted.state_dict().Keys.Except(plain.state_dict().Keys).ToList();
            Assert.Contains("blocks.0.Adapter.channel.0.weight", extra);
            Assert.Contains("blocks.11.Adapter.spatial.2.weight", extra);
            // Per block: LayerNorm 2×768, channel 768·192·2, spatial 2·768·768·(9 + 16).
            long perBlock = 2 * 768 + 2 * 768 * 192 + 768L * 768 * 9 + 768L * 768 * 16;
            Assert.Equal(12 * perBlock, adapted.parameters().Sum(p => p.numel()) - plain.parameters().Sum(p => p.numel()));
        }
        finally
        {
            set_default_device(CPU);
        }
    }
}
