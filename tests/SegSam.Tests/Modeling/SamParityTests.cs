using SegSam.Checkpoints;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Modeling;

/// <summary>
/// Every folder under fixtures/sam-parity/ is reproduced through the public API: the model is
/// built from the folder's config, the reference's model.pth is loaded by our reader, and the
/// embedding and every prompt case's logits, IoUs and low-res logits match the PyTorch SAM.
/// </summary>
public class SamParityTests
{
    public static TheoryData<string> Cases => Fixtures.Cases("sam-parity");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesReferenceOutputs(string name)
    {
        var fixture = new SamParityCase(Fixtures.CaseDir("sam-parity", name));
        using var model = SamCheckpoint.Load(fixture.File("model.pth"), SamConfig.Load(fixture.File("config.json")));
        using var predictor = new SamPredictor(model);
        predictor.SetPreResizedImage(RasterImage.Load(fixture.File("image_resized.npy")), fixture.OriginalSize);

        using (var embedding = predictor.GetImageEmbedding())
        {
            var actual = NpyArray.FromTensor(embedding);
            SamParityCase.AssertClose(NpyFile.Read(fixture.File("embedding.npy")), actual.ToFloat32(), actual.Shape, 1e-4, relative: false, "embedding");
        }

        AssertPromptsMatch(fixture, model, predictor);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesReferenceOutputsFromTheRawImage(string name)
    {
        // SetImage on the original resizes it as the reference's set_image does (Pillow's 8-bit
        // BILINEAR); the fixtures whose original is not the encoder size (tiny-b, raw-up,
        // raw-down) check that resize end to end.
        var fixture = new SamParityCase(Fixtures.CaseDir("sam-parity", name));
        using var model = SamCheckpoint.Load(fixture.File("model.pth"), SamConfig.Load(fixture.File("config.json")));
        using var predictor = new SamPredictor(model);
        var image = RasterImage.Load(fixture.File("image.npy"));
        Assert.Equal(fixture.OriginalSize, (image.Height, image.Width));
        predictor.SetImage(image);
        using (var embedding = predictor.GetImageEmbedding())
        {
            var actual = NpyArray.FromTensor(embedding);
            SamParityCase.AssertClose(NpyFile.Read(fixture.File("embedding.npy")), actual.ToFloat32(), actual.Shape, 1e-4, relative: false, "embedding");
        }
        AssertPromptsMatch(fixture, model, predictor);
    }

    static void AssertPromptsMatch(SamParityCase fixture, SamModel model, SamPredictor predictor)
    {
        Assert.NotEmpty(fixture.Prompts);
        foreach (var c in fixture.Prompts)
        {
            var r = predictor.Predict(c.Prompt, c.Multimask);
            Assert.Equal(c.Multimask ? model.Config.MaskDecoder.NumMultimaskOutputs : 1, r.Count);
            SamParityCase.AssertClose(fixture.Expected(c.Index, "masks"), r.Logits, [1, r.Count, r.Height, r.Width], 2e-4, true, $"case {c.Index} masks");
            SamParityCase.AssertClose(fixture.Expected(c.Index, "iou"), r.Iou, [1, r.Count], 2e-4, true, $"case {c.Index} iou");
            SamParityCase.AssertClose(fixture.Expected(c.Index, "lowres"), r.LowResLogits, [1, r.Count, r.LowResHeight, r.LowResWidth], 2e-4, true, $"case {c.Index} lowres");
        }
    }
}

/// <summary>Our longest-side resize against the reference's PIL resize, on every fixture: byte for byte.</summary>
public class ResizeParityTests
{
    [Theory]
    [MemberData(nameof(SamParityTests.Cases), MemberType = typeof(SamParityTests))]
    public void LongestSideResizeEqualsPil(string name)
    {
        var fixture = new SamParityCase(Fixtures.CaseDir("sam-parity", name));
        var original = RasterImage.Load(fixture.File("image.npy"));
        var pil = RasterImage.Load(fixture.File("image_resized.npy"));
        var config = SamConfig.Load(fixture.File("config.json"));
        using var resized = new ResizeLongestSide(config.ImageEncoder.ImgSize).ApplyImage(original, 3);
        Assert.Equal(new long[] { 1, 3, pil.Height, pil.Width }, resized.shape);
        var ours = resized[0].permute(1, 2, 0).contiguous().data<float>().ToArray();
        int differing = ours.Zip(pil.Data, (a, b) => a != b).Count(d => d);
        Assert.True(differing == 0, $"{differing} of {ours.Length} resized values differ from PIL's");
    }
}
