using SegSam.Data;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Inference;

/// <summary>
/// PG-SAM prompt-free over a whole 3D volume, as the Synapse protocol runs it ("slices predicted,
/// volumes reassembled"): the volume's intensities go to the prepared 0–255 scale
/// (<see cref="VolumeIntensity"/>), the volume is put on its RAS+ grid and cut into slices across
/// one axis exactly as <c>segsam prepare</c> cuts training data (<see cref="SliceGeometry.Extract"/>,
/// then <see cref="SliceGeometry.SquareResize"/>: zero-padded to a square, bilinear to the model
/// size), every slice goes through <see cref="PgSamModel.PredictLabels"/> in batches (the model's
/// channel count by repeating the slice, as the trainer and evaluator feed it), each label map is
/// resized back with nearest neighbour and cropped to the slice
/// (<see cref="SliceGeometry.SquareRestoreLabels"/>), and the slices are reassembled into a label
/// volume on the input's own grid and affine.
/// <para>
/// Text for the prior, per slice: the model's template sentence, or — for a model trained with
/// per-image descriptions — the description of the slice's id in a <see cref="SliceDescriptions"/>
/// file. Slice ids are <c>&lt;case&gt;-&lt;axis&gt;-&lt;index:000&gt;</c> (e.g.
/// <c>case0001-axial-042</c>; index along the RAS+ axis), the ids <c>segsam prepare</c> gives the
/// slices of a volume pair, and just <c>&lt;case&gt;</c> for a one-slice image.
/// </para>
/// </summary>
public sealed class PgSamVolumePredictor
{

    readonly PgSamModel model;

    /// <summary>Slices per forward pass.</summary>
    public int BatchSize { get; }

    public PgSamVolumePredictor(PgSamModel model, int batchSize = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.model = model;
        BatchSize = batchSize;
    }

    /// <summary>
    /// Predicts every slice of <paramref name="volume"/> (raw values, e.g. HU) across
    /// <paramref name="axis"/> (default axial; a one-slice image is cut across its flat axis),
    /// after <paramref name="intensity"/> maps the values to the prepared scale.
    /// </summary>
    public PgSamVolumePrediction Predict(Volume volume, VolumeIntensity intensity, string caseId, int? axis = null,
                                         SliceDescriptions? descriptions = null, IProgress<(int Done, int Total)>? progress = null,
                                         CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(volume);
        ArgumentNullException.ThrowIfNull(intensity);
        return PredictPrepared(volume.WithData(intensity.Apply(volume.Data), "float32"), caseId, axis, descriptions, progress, cancel);
    }

    /// <summary>As <see cref="Predict"/> for a volume whose values are already on the prepared 0–255 scale.</summary>
    public PgSamVolumePrediction PredictPrepared(Volume prepared, string caseId, int? axis = null,
                                                 SliceDescriptions? descriptions = null, IProgress<(int Done, int Total)>? progress = null,
                                                 CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentException.ThrowIfNullOrEmpty(caseId);
        var (ras, transform) = Orientation.Canonical(prepared);
        var (cut, single) = CutAxis(ras.Dims, axis, prepared.Source);
        var (h, w) = SliceGeometry.SliceSize(ras.Dims, cut);
        int count = ras.Dims[cut];
        var ids = single ? [caseId] : Enumerable.Range(0, count).Select(k => SliceAxis.SliceId(caseId, cut, k)).ToList();

        int size = model.ImgSize, channels = model.Config.ImageEncoder.InChans;
        var labels = new float[ras.Data.Length];
        using (var inference = inference_mode())
        using (var text = PgSamPrior.TextInputs(model.Config, ids, descriptions))
        {
            int plane = size * size;
            for (int start = 0; start < count; start += BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int n = Math.Min(BatchSize, count - start);
                var pixels = new float[n * plane];
                for (int r = 0; r < n; r++)
                {
                    var (slice, _, _) = SliceGeometry.Extract(ras, cut, start + r);
                    SliceGeometry.SquareResize(slice, h, w, size, labels: false).CopyTo(pixels, r * plane);
                }
                var batch = tensor(pixels, [n, 1, size, size], device: model.Device).expand(-1, channels, -1, -1);
                var predicted = model.PredictLabels(batch, text.narrow(0, start, n).to(model.Device));
                var restored = SliceGeometry.SquareRestoreLabels(predicted.cpu(), h, w);
                var codes = restored.data<int>().ToArray();
                for (int r = 0; r < n; r++)
                    SliceGeometry.Place(labels, ras.Dims, cut, start + r, codes.AsSpan(r * h * w, h * w));
                progress?.Report((start + n, count));
            }
        }
        string type = model.NumClasses <= 256 ? "uint8" : "int16";
        var onInput = transform.Restore(ras.WithData(labels, type));
        var result = new Volume([.. prepared.Dims], onInput.Data, (double[,])prepared.Affine.Clone(), prepared.Source)
        {
            SourceDataType = type,
        };
        return new PgSamVolumePrediction(result, cut, ids);
    }

    /// <summary>
    /// The axis to cut: the requested one (default axial); for a one-slice image its flat axis,
    /// as <c>prepare</c> cuts it (anything else would give one-pixel-wide slices).
    /// </summary>
    static (int Axis, bool Single) CutAxis(int[] rasDims, int? requested, string source)
    {
        if (requested is { } r && (r < 0 || r > 2)) throw new ArgumentOutOfRangeException(nameof(requested), r, "axis must be 0 (sagittal), 1 (coronal) or 2 (axial)");
        var flat = Enumerable.Range(0, 3).Where(a => rasDims[a] == 1).ToList();
        if (flat.Count > 1) throw new InvalidDataException($"{source}: a {string.Join('×', rasDims)} image has no 2D slices");
        if (flat.Count == 0) return (requested ?? SliceAxis.Axial, false);
        if (requested is { } asked && asked != flat[0])
            throw new ArgumentException($"{source}: a one-slice image is cut across its flat ({SliceAxis.Name(flat[0])}) axis, not {SliceAxis.Name(asked)}");
        return (flat[0], true);
    }
}
