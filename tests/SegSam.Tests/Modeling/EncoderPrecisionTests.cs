using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

public class EncoderPrecisionTests
{
    [Fact]
    public void A_bf16_encoder_holds_bf16_weights_and_gives_float32_features_close_to_float32s()
    {
        using var model = TinyModels.Create();
        model.eval();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        manual_seed(3);
        var image = randn(2, 3, 64, 64);
        var float32 = model.ImageEncoder.forward(image);

        model.ImageEncoder.SetPrecision(EncoderPrecision.BFloat16);
        Assert.Equal(EncoderPrecision.BFloat16, model.ImageEncoder.Precision);
        Assert.All(model.ImageEncoder.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.All(model.MaskDecoder.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var bf16 = model.ImageEncoder.forward(image);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.Equal(float32.shape, bf16.shape);
        double scale = float32.abs().max().item<float>();
        double error = (bf16 - float32).abs().max().item<float>() / scale;
        // bf16 keeps 8 mantissa bits (relative step 2⁻⁸ ≈ 0.4 %); through three blocks and the neck's norms a few steps add up.
        Assert.InRange(error, 1e-4, 0.05);

        model.ImageEncoder.SetPrecision(EncoderPrecision.Float32);
        Assert.All(model.ImageEncoder.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void A_prompt_on_a_bf16_encoder_gives_nearly_the_float32_mask()
    {
        using var model = TinyModels.Create();
        var rng = new Random(5);
        var pixels = new byte[64 * 48 * 3];
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
                for (int c = 0; c < 3; c++)
                    pixels[(y * 64 + x) * 3 + c] = (byte)(x is > 20 and < 44 && y is > 10 and < 30 ? 200 + rng.Next(40) : rng.Next(60));
        var image = RasterImage.FromBytes(48, 64, 3, pixels);
        var prompt = new SamPrompt { Box = new BoxPrompt(18, 8, 46, 32) };
        SamPrediction Predict()
        {
            using var predictor = new SamPredictor(model);
            predictor.SetImage(image);
            return predictor.Predict(prompt, multimaskOutput: false);
        }
        var float32 = Predict();
        model.ImageEncoder.SetPrecision(EncoderPrecision.BFloat16);
        var bf16 = Predict();
        var a = float32.Logits;
        var b = bf16.Logits;
        int flipped = a.Zip(b).Count(p => p.First > 0 != p.Second > 0);
        Assert.True(flipped <= a.Length / 50, $"{flipped} of {a.Length} mask pixels changed side");
        Assert.NotEqual(a, b); // the encoder did compute in bf16
    }

    [Theory]
    [InlineData("fp32", EncoderPrecision.Float32)]
    [InlineData("FLOAT32", EncoderPrecision.Float32)]
    [InlineData("bf16", EncoderPrecision.BFloat16)]
    [InlineData("bfloat16", EncoderPrecision.BFloat16)]
    public void Precision_names_parse(string name, EncoderPrecision expected) => Assert.Equal(expected, EncoderPrecisions.Parse(name));

    [Fact]
    public void An_unknown_precision_names_the_known_ones() =>
        Assert.Contains("fp32, bf16", Assert.Throws<ArgumentException>(() => EncoderPrecisions.Parse("fp8")).Message);
}
