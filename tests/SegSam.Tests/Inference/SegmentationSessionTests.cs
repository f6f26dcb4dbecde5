using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Inference;

/// <summary>
/// The segmentation session in process, with a tiny random SEG-SAM (and PG-SAM) on a small
/// volume whose grid is not RAS+: prompts, refinement, propagation, the label volume, exports
/// on the input's grid, the embedding cache's bound, cancellation and concurrent use.
/// </summary>
[Collection(Serial.Name)]
public sealed class SegmentationSessionTests : IDisposable
{
    readonly SegSamModel model;
    readonly Volume volume = TinyPgSam.HuVolume(ni: 24, nj: 20, nk: 6);

    public SegmentationSessionTests()
    {
        manual_seed(5);
        model = new SegSamModel(TinySegSam.Config());
    }

    public void Dispose() => model.Dispose();

    static SamPrompt Box(double x0, double y0, double x1, double y1) => new() { Box = new BoxPrompt(x0, y0, x1, y1) };

    [Fact]
    public void A_prompt_is_answered_on_the_canonical_slice_as_the_predictor_answers_it()
    {
        using var session = new SegmentationSession(volume, model);
        Assert.Equal([20, 24, 6], session.Dims); // i runs posterior, j left: RAS+ swaps them
        Assert.Equal("ct", session.PromptIntensity!.Name); // values below −100 HU
        var view = session.Slice(SliceAxis.Axial, 3);
        var answer = session.Prompt(new SlicePrompt(SliceAxis.Axial, 3, Box(2, 3, 14, 15)));

        using var predictor = new SegSamPredictor(model);
        predictor.SetSlice(view.Pixels, view.Height, view.Width);
        var direct = predictor.Predict(Box(2, 3, 14, 15));
        Assert.Equal(direct.Mask, answer.Prediction.Mask);
        Assert.Equal(direct.Iou, answer.Prediction.Iou);
        Assert.Equal(direct.ClassIndex, answer.Prediction.ClassIndex);
        Assert.Equal(answer.Prediction.Area * view.PixelAreaMm2, answer.AreaMm2, 9);
        Assert.Equal(0.8 * 0.9, view.PixelAreaMm2, 9);
        Assert.Equal(TinySegSam.Categories.Length, answer.Prediction.ClassProbabilities!.Length);
        Assert.Equal(1.0, answer.Prediction.ClassProbabilities.Sum(), 4);
        Assert.Equal(answer.Prediction.ClassName, answer.TopCategories(session.Categories, 2)[0].Category);
    }

    [Fact]
    public void Refining_adds_the_clicks_and_feeds_back_the_low_res_mask()
    {
        using var session = new SegmentationSession(volume, model);
        var first = session.Prompt(new SlicePrompt(SliceAxis.Axial, 2, Box(2, 3, 14, 15)));
        Assert.Equal(32 * 32, first.Prediction.LowResLogits!.Length); // 4 × the 8×8 embedding grid (32 px, 4 px patches)
        var refined = session.Refine(first, [new PointPrompt(5, 6, 1), new PointPrompt(12, 12, 0)]);
        Assert.Equal(2, refined.Prompt.Prompt.Points.Count);
        Assert.Equal(first.Prediction.LowResLogits, refined.Prompt.Prompt.MaskInput);
        Assert.Equal(first.Prompt.Prompt.Box, refined.Prompt.Prompt.Box);
        // The same prompt asked directly gives the same answer: refinement is just that prompt.
        var again = session.Prompt(refined.Prompt);
        Assert.Equal(refined.Prediction.Mask, again.Prediction.Mask);
        Assert.Throws<ArgumentException>(() => session.Prompt(new SlicePrompt(SliceAxis.Axial, 2, Box(2, 3, 14, 15) with { MaskInput = new float[10] })));
    }

    [Fact]
    public void Accepted_objects_make_one_label_volume_exported_on_the_input_grid()
    {
        using var dir = new TempDir();
        using var session = new SegmentationSession(volume, model);
        var a = session.Prompt(new SlicePrompt(SliceAxis.Axial, 2, Box(1, 1, 10, 10)));
        var b = session.Prompt(new SlicePrompt(SliceAxis.Axial, 2, Box(8, 8, 18, 22)));
        var first = session.Accept(a, label: 7);
        var second = session.Accept(b);
        Assert.Equal(b.Prediction.ClassIndex!.Value + 1, second.Label);
        session.Relabel(first.Id, 9);
        Assert.Equal([9, second.Label], session.Objects.Select(o => o.Label));

        var export = session.ExportObjects(dir.Path, new ExportView(SliceAxis.Axial, 2, [a.Prompt.Prompt]));
        Assert.Equal(["labels.nii.gz", "slice.png", "overlay.png", "segmentation.json"], export.Files.Select(Path.GetFileName));
        var written = NiftiFile.Read(dir.File("labels.nii.gz")).Volume;
        Assert.Equal(volume.Dims, written.Dims);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) Assert.Equal(volume.Affine[r, c], written.Affine[r, c], 5);
        Assert.Equal(session.Labels().Data, written.Data);

        // Every labelled voxel lies on the prompted axial plane in world space, and the second
        // object, drawn last, wins where the two overlap.
        var expected = new float[a.Prediction.Mask.Length];
        for (int i = 0; i < expected.Length; i++) expected[i] = b.Prediction.Mask[i] != 0 ? second.Label : a.Prediction.Mask[i] != 0 ? 9 : 0;
        Assert.Equal(expected.Count(v => v != 0), written.Data.Count(v => v != 0));
        double planeZ = Enumerable.Range(0, volume.Nz).Select(k => volume.Affine[2, 2] * k + volume.Affine[2, 3]).OrderBy(z => z).ElementAt(2);
        for (int k = 0; k < volume.Nz; k++)
            for (int j = 0; j < volume.Ny; j++)
                for (int i = 0; i < volume.Nx; i++)
                    if (written[i, j, k] != 0)
                        Assert.Equal(planeZ, volume.Affine[2, 0] * i + volume.Affine[2, 1] * j + volume.Affine[2, 2] * k + volume.Affine[2, 3], 9);
        var (slice, _, _) = SliceGeometry.Extract(new Volume([.. session.Dims], Orientation.Canonical(written).Canonical.Data, Volume.Identity()), SliceAxis.Axial, 2);
        Assert.Equal(expected, slice);

        session.Remove(second.Id);
        Assert.Equal(9f, session.Labels().Data.Where(v => v != 0).Distinct().Single());
        Assert.Throws<KeyNotFoundException>(() => session.Remove(second.Id));
        Assert.Throws<ArgumentException>(() => session.Relabel(first.Id, 0));
    }

    [Fact]
    public void Propagation_follows_the_object_within_the_range_and_can_be_cancelled()
    {
        using var session = new SegmentationSession(volume, model);
        var start = session.Prompt(new SlicePrompt(SliceAxis.Axial, 3, Box(0, 0, 19, 23)));
        var progress = new List<(int Done, int Total)>();
        var spread = session.Propagate(start, (2, 4), new SyncProgressFor(progress));
        Assert.All(spread.SliceMasks.Keys, k => Assert.InRange(k, 2, 4));
        Assert.Equal(start.Prediction.Mask, spread.SliceMasks.GetValueOrDefault(3) ?? start.Prediction.Mask);
        Assert.All(progress, p => Assert.Equal(2, p.Total));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Propagate(start, null, null, cancelled.Token));
        Assert.Throws<ArgumentException>(() => session.Propagate(start, (4, 5)));
        Assert.Empty(session.Objects);
    }

    [Fact]
    public void The_embedding_cache_keeps_to_its_bound_and_frees_what_it_drops()
    {
        long oneSlice;
        using (var probe = new SegmentationSession(volume, model))
        {
            probe.Prompt(new SlicePrompt(SliceAxis.Axial, 0, Box(1, 1, 8, 8)));
            oneSlice = probe.CacheUse.Bytes;
        }
        Assert.True(oneSlice > 0);
        // Finalise earlier tests' garbage now (it would otherwise drop the count mid-test); no GC
        // after the loop, so an undisposed tensor from it would still be counted.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long tensors = Tensor.TotalCount;
        using (var session = new SegmentationSession(volume, model, options: new SessionOptions { EmbeddingCacheBytes = 2 * oneSlice }))
        {
            for (int round = 0; round < 3; round++)
                for (int k = 0; k < volume.Nz; k++)
                {
                    session.Prompt(new SlicePrompt(SliceAxis.Axial, k, Box(1, 1, 8, 8)));
                    Assert.True(session.CacheUse.Bytes <= 2 * oneSlice, $"{session.CacheUse.Bytes} bytes cached");
                }
            Assert.Equal(2, session.CacheUse.Slices);
            session.Prompt(new SlicePrompt(SliceAxis.Coronal, 4, Box(1, 1, 4, 4)));
            Assert.Equal(2, session.CacheUse.Slices);
        }
        Assert.Equal(tensors, Tensor.TotalCount);
    }

    [Fact]
    public void Concurrent_prompts_on_shared_sessions_give_the_sequential_answers()
    {
        using var one = new SegmentationSession(volume, model);
        using var two = new SegmentationSession(volume, model);
        var prompts = Enumerable.Range(0, 12).Select(i => new SlicePrompt(SliceAxis.Axial, i % volume.Nz, Box(i % 5, 1, 10 + i % 7, 12))).ToList();
        var sequential = prompts.Select(p => one.Prompt(p).Prediction.Mask).ToList();
        var parallel = new byte[prompts.Count][];
        Parallel.For(0, prompts.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            parallel[i] = (i % 2 == 0 ? one : two).Prompt(prompts[i]).Prediction.Mask);
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void Segment_all_labels_every_slice_as_the_volume_predictor_and_exports_the_label_table()
    {
        using var dir = new TempDir();
        using var pgsam = TinyPgSam.Model();
        using var session = new SegmentationSession(volume, null, pgsam);
        var intensity = VolumeIntensity.SynapseCt;
        var prediction = session.SegmentAll(intensity: intensity, caseId: "case");
        var direct = new PgSamVolumePredictor(pgsam).Predict(volume, intensity, "case");
        Assert.Equal(direct.Labels.Data, prediction.Labels.Data);
        var export = session.ExportLabelMap(dir.Path);
        Assert.Equal(pgsam.Config.Categories.Length, export.Classes.Count);
        Assert.Equal(direct.Labels.Data.Count(v => v != 0), export.Classes.Sum(c => c.Voxels));
        Assert.Equal(direct.Labels.Data, NiftiFile.Read(dir.File("labels.nii.gz")).Volume.Data);
        Assert.Throws<InvalidOperationException>(() => session.Prompt(new SlicePrompt(SliceAxis.Axial, 0, Box(1, 1, 4, 4))));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => session.SegmentAll(cancel: cancelled.Token));
    }

    [Fact]
    public void Segment_structures_gives_one_object_per_class_that_together_paint_the_prompt_free_map()
    {
        using var pgsam = TinyPgSam.Model();
        using var session = new SegmentationSession(volume, null, pgsam);
        var intensity = VolumeIntensity.SynapseCt;
        var direct = new PgSamVolumePredictor(pgsam).Predict(volume, intensity, "case");
        var structures = session.SegmentStructures(intensity: intensity, caseId: "case");
        Assert.True(structures.Count > 1, "the tiny model's map should hold several classes");
        Assert.Equal(direct.Labels.Data.Where(v => v != 0).Select(v => (int)v).Distinct().Order(), structures.Select(o => o.Start.ClassIndex!.Value + 1));
        Assert.All(structures, o => Assert.Equal(SliceAxis.Axial, o.Axis));
        Assert.All(structures, o => Assert.Equal(pgsam.Config.Categories[o.Start.ClassIndex!.Value], o.Start.ClassName));
        // Nothing is kept by the call itself; accepted with their class numbers, they rebuild the map on the input's grid.
        Assert.All(session.Labels().Data, v => Assert.Equal(0f, v));
        foreach (var o in structures) session.Accept(o);
        Assert.Equal(direct.Labels.Data, session.Labels().Data);
        // Exported without a SEG-SAM model: the label volume and the table, no prompted view to draw.
        using var dir = new TempDir();
        var export = session.ExportObjects(dir.Path);
        Assert.Equal([dir.File("labels.nii.gz"), dir.File("segmentation.json")], export.Files);
        Assert.Equal(direct.Labels.Data, NiftiFile.Read(dir.File("labels.nii.gz")).Volume.Data);
    }

    [Fact]
    public void A_windowed_slice_shows_the_values_as_read_through_the_window()
    {
        using var session = new SegmentationSession(volume, model);
        var (level, width) = Intensity.CtWindows["lung"];
        var windowed = session.Slice(SliceAxis.Axial, 2, (level, width));
        var modelView = session.Slice(SliceAxis.Axial, 2);
        Assert.Equal((modelView.Height, modelView.Width), (windowed.Height, windowed.Width));
        using var lungModel = new SegmentationSession(volume, model, options: new SessionOptions { Window = (level, width) });
        Assert.Equal(lungModel.Slice(SliceAxis.Axial, 2).Pixels, windowed.Pixels);
        Assert.NotEqual(modelView.Pixels, windowed.Pixels);
    }

    /// <summary>Collects progress reports synchronously.</summary>
    sealed class SyncProgressFor(List<(int, int)> into) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => into.Add(value);
    }
}
