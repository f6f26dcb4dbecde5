using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Tests.Training;
using SegSam.Text;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>
/// PG-SAM prompt-free prediction is a function of its inputs: the same volume gives the same labels
/// however the native heap was left. With D = 128 the mask optimizer's first convolution has
/// 1 + D/8 = 17 input channels, which oneDNN pads to 32 in a weight buffer it does not zero (see
/// ChannelAlignedConv2d); with NaN left in freed memory every batch's refined masks used to come out
/// NaN, and the labels then depended on what the process had freed before.
/// </summary>
[Collection(Serial.Name)] // oneDNN must stay on (trainer tests switch it off process-wide), and the heap untouched by other tests
public class PgSamDeterminismTests
{
    /// <summary>The tiny PG-SAM with a 128-wide neck and head (32 px, 8×8 grid, 32×32 masks).</summary>
    static PgSamModelConfig WideHeadConfig()
    {
        var tiny = PgSamTrainingTests.TinyConfig();
        return tiny with
        {
            ImageEncoder = tiny.ImageEncoder with { OutChans = 128 },
            Head = tiny.Head with { Dim = 128 },
        };
    }

    [Fact]
    public void SameVolumeGivesTheSameLabelsWhateverTheHeapHolds()
    {
        TorchRuntime.SetMkldnn(true); // the default; the convolution under test is oneDNN's
        using var model = TinyPgSam.Model(WideHeadConfig());
        var volume = TinyPgSam.HuVolume(nk: 6);
        var predictor = new PgSamVolumePredictor(model, 2);
        var poisonEachBatch = new Progress(() => HeapPoison.Fill());

        var first = predictor.Predict(volume, VolumeIntensity.SynapseCt, "case").Labels.Data;
        Assert.True(first.Distinct().Count() > 1, "the random model should predict several classes, else the comparison proves little");
        for (int run = 0; run < 3; run++)
        {
            HeapPoison.Fill();
            GC.Collect(); // and let finalisers free what they hold, between the batches too
            GC.WaitForPendingFinalizers();
            var again = predictor.Predict(volume, VolumeIntensity.SynapseCt, "case", progress: poisonEachBatch).Labels.Data;
            int differ = first.Zip(again).Count(p => p.First != p.Second);
            Assert.True(differ == 0, $"run {run + 2}: {differ} of {first.Length} voxels differ from the first run");
        }
    }

    [Fact]
    public void RefinedMasksStayFiniteWithNaNInFreedMemory()
    {
        TorchRuntime.SetMkldnn(true);
        using var model = TinyPgSam.Model(WideHeadConfig());
        Assert.Equal(17, 1 + model.Config.Head.Dim / 8);
        manual_seed(5);
        using var pixels = rand(2, 1, model.ImgSize, model.ImgSize).Times(255);
        using var text = PgSamPrior.TextInputs(model.Config, ["a", "b"], null);
        using var noGrad = no_grad();
        for (int i = 0; i < 8; i++)
        {
            HeapPoison.Fill();
            using var images = model.Preprocess(pixels);
            using var output = model.forward(images, text);
            using var bad = output.Masks.isfinite().logical_not().sum();
            Assert.True(bad.item<long>() == 0, $"call {i + 1}: {bad.item<long>()} of {output.Masks.numel()} refined mask logits are not finite");
        }
    }

    /// <summary>Runs an action on every progress report, synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class Progress(Action action) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => action();
    }
}
