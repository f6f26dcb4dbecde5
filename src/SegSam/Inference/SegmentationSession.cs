using System.Text.Json;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Imaging.Dicom;
using SegSam.IO;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Text;

namespace SegSam.Inference;

/// <summary>
/// The one way to segment an image or volume: open it (a path any reader takes, or a
/// <see cref="Volume"/>), prompt objects on its slices with a SEG-SAM model (<see cref="Prompt"/>,
/// <see cref="Refine"/>, <see cref="Propagate"/>) or label every slice with a PG-SAM model
/// (<see cref="SegmentAll"/>), keep what is right in one label volume (<see cref="Accept(SegmentedObject, int?)"/>,
/// <see cref="Relabel"/>, <see cref="Remove"/>), and export it on the input's own grid.
/// <para>
/// Internally the volume sits on its closest RAS+ grid (<see cref="Orientation.Canonical"/>), so
/// slices are cut as viewers show them and prompts are pixels of those slices (x right, y down);
/// exports go back to the input's grid and affine exactly. The prompted model sees intensities
/// the way its training slices were prepared (<see cref="VolumeIntensity.ForSegSam"/>). Each slice
/// is encoded once and kept in a cache bounded by <see cref="SessionOptions.EmbeddingCacheBytes"/>.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Calls on one session run one at a
/// time (an internal lock), and calls that run a model also hold that model's lock, so sessions
/// sharing a model take turns on it. Long operations take an <see cref="IProgress{T}"/> and a
/// <see cref="CancellationToken"/>; a cancelled operation throws
/// <see cref="OperationCanceledException"/> and leaves the session as it was.
/// The session owns its cache, not its models.
/// </para>
/// </summary>
public sealed class SegmentationSession : IDisposable
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The DICOM Segmentation an export writes with <see cref="ExportFormats.DicomSeg"/>.</summary>
    public const string DicomSegFileName = "segmentation.seg.dcm";
    /// <summary>The RT Structure Set an export writes with <see cref="ExportFormats.RtStruct"/>.</summary>
    public const string RtStructFileName = "rtstruct.dcm";

    readonly object gate = new();
    readonly SegSamModel? prompted;
    readonly PgSamModel? promptFree;
    readonly SessionOptions options;
    readonly SegSamPredictor? predictor;
    readonly SliceEmbeddingCache cache;
    readonly CanonicalTransform transform;
    readonly Volume? slices; // RAS+ grid, the prompted model's 0–255 scale
    Volume? rawSlices; // RAS+ grid, values as read; made by the first windowed Slice
    readonly List<AcceptedObject> objects = [];
    PgSamVolumePrediction? labelMap;
    string? labelMapIntensity;
    int nextId = 1;
    bool disposed;

    /// <summary>Opens the image at <paramref name="path"/> (see <see cref="MedicalImage.Load"/>).</summary>
    public static SegmentationSession Open(string path, SegSamModel? prompted, PgSamModel? promptFree = null, SessionOptions? options = null) =>
        new(MedicalImage.Load(path), prompted, promptFree, options, path);

    /// <summary>
    /// Most pixels a slice may have in any direction: 8192² (a mammogram is about 4096 × 5120).
    /// A slice's masks, candidates and overlays are made at its full size, about 50 bytes a pixel
    /// (a 6000² slice took 1.9 GB to segment, a 20000² one 18.7 GB, from a 393 KB file).
    /// </summary>
    public const long MaxSlicePixels = 8192L * 8192;

    static void CheckSlices(Volume input, string source)
    {
        long x = input.Nx, y = input.Ny, z = input.Nz;
        var (a, b) = new[] { (x, y), (x, z), (y, z) }.MaxBy(p => p.Item1 * p.Item2);
        if (a * b > MaxSlicePixels)
            throw new InvalidDataException($"{source}: its {a} × {b} slices have more than the {MaxSlicePixels} pixels (8192²) a slice may have here");
    }

    /// <summary>
    /// A session on <paramref name="input"/> with a SEG-SAM model for prompts and/or a PG-SAM model
    /// for prompt-free labels (at least one). An unknown modality or a window given for MR is an
    /// <see cref="ArgumentException"/>; slices over <see cref="MaxSlicePixels"/> an
    /// <see cref="InvalidDataException"/> naming <paramref name="source"/> (the file, for a reader).
    /// </summary>
    public SegmentationSession(Volume input, SegSamModel? prompted, PgSamModel? promptFree = null, SessionOptions? options = null, string source = "the image")
    {
        ArgumentNullException.ThrowIfNull(input);
        if (prompted is null && promptFree is null) throw new ArgumentException("a session needs a SEG-SAM model, a PG-SAM model or both");
        CheckSlices(input, source);
        this.options = options ?? new SessionOptions();
        this.prompted = prompted;
        this.promptFree = promptFree;
        Input = input;
        cache = new SliceEmbeddingCache(this.options.EmbeddingCacheBytes);
        var (ras, canonical) = Orientation.Canonical(input);
        transform = canonical;
        Dims = [.. ras.Dims];
        Spacing = ras.Spacing;
        if (prompted is not null)
        {
            PromptIntensity = VolumeIntensity.ForSegSam(input, this.options.Modality, this.options.Window);
            slices = ras.WithData(PromptIntensity.Apply(ras.Data), "float32");
            predictor = new SegSamPredictor(prompted, this.options.TestTimeMirroring);
        }
    }

    /// <summary>The image as read, on its own grid.</summary>
    public Volume Input { get; }

    /// <summary>The RAS+ grid slices are cut from: (x, y, z) sizes; slices across an axis number 0 … Dims[axis] − 1.</summary>
    public IReadOnlyList<int> Dims { get; }

    /// <summary>Voxel size in mm along the RAS+ grid's axes.</summary>
    public IReadOnlyList<double> Spacing { get; }

    /// <summary>True for a picture or a single slice: there is one axial slice.</summary>
    public bool IsFlat => Input.Nz == 1;

    /// <summary>The middle axial slice, where a prompt goes when none is named.</summary>
    public (int Axis, int Index) DefaultSlice => (SliceAxis.Axial, Dims[SliceAxis.Axial] / 2);

    /// <summary>How the prompted model sees the values (null without a SEG-SAM model).</summary>
    public VolumeIntensity? PromptIntensity { get; }

    /// <summary>The SEG-SAM model's categories (empty for a binary model or without one).</summary>
    public IReadOnlyList<string> Categories => prompted?.Config.Categories ?? [];

    /// <summary>Encoded slices held now, and their memory.</summary>
    public (int Slices, long Bytes) CacheUse
    {
        get { lock (gate) return (cache.Count, cache.Bytes); }
    }

    /// <summary>Slice <paramref name="index"/> across <paramref name="axis"/> on the prompted model's 0–255 scale.</summary>
    public SliceView Slice(int axis, int index)
    {
        lock (gate)
        {
            var volume = PromptedSlices();
            CheckSlice(axis, index);
            var (pixels, h, w) = SliceGeometry.Extract(volume, axis, index);
            int[] inPlane = InPlaneAxes(axis);
            return new SliceView(axis, index, h, w, pixels, Spacing[inPlane[0]], Spacing[inPlane[1]]);
        }
    }

    /// <summary>
    /// Slice <paramref name="index"/> across <paramref name="axis"/> of the values as read, through
    /// a CT <paramref name="window"/> (level, width in HU) onto 0–255 (<see cref="Intensity.Window"/>):
    /// for display only, the prompted model still sees its own scale. Needs no model. The first call
    /// keeps the input on the RAS+ grid (one more copy of the volume) because a viewer pages through many slices.
    /// </summary>
    public SliceView Slice(int axis, int index, (double Level, double Width) window)
    {
        lock (gate)
        {
            ThrowIfDisposed();
            CheckSlice(axis, index);
            rawSlices ??= transform.Apply(Input);
            var (values, h, w) = SliceGeometry.Extract(rawSlices, axis, index);
            int[] inPlane = InPlaneAxes(axis);
            return new SliceView(axis, index, h, w, Intensity.Window(values, window.Level, window.Width), Spacing[inPlane[0]], Spacing[inPlane[1]]);
        }
    }

    /// <summary>Answers one prompt: the object's mask on the slice, its category and class probabilities, predicted IoU and area.</summary>
    public SlicePrediction Prompt(SlicePrompt prompt, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        lock (gate)
        {
            cancel.ThrowIfCancellationRequested();
            CheckSlice(prompt.Axis, prompt.Index);
            var answer = PredictAt(prompt.Axis, prompt.Index, prompt.Prompt);
            return new SlicePrediction(prompt, answer, answer.Area * PixelArea(prompt.Axis));
        }
    }

    /// <summary>
    /// Answers <paramref name="previous"/>'s prompt again with <paramref name="morePoints"/> added
    /// and its answer's low-res mask as input, as SAM refines with further clicks.
    /// </summary>
    public SlicePrediction Refine(SlicePrediction previous, IReadOnlyList<PointPrompt> morePoints, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var prompt = previous.Prompt.Prompt with
        {
            Points = [.. previous.Prompt.Prompt.Points, .. morePoints],
            MaskInput = previous.Prediction.LowResLogits,
        };
        return Prompt(previous.Prompt with { Prompt = prompt }, cancel);
    }

    /// <summary>
    /// Follows the object of <paramref name="start"/> through the volume (<see cref="VolumeSegmenter"/>'s
    /// rules), within <paramref name="range"/> (first and last slice, inclusive) when given.
    /// Progress counts the slices visited out of the range's.
    /// </summary>
    public SegmentedObject Propagate(SlicePrediction start, (int First, int Last)? range = null,
                                     IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        lock (gate)
        {
            int count = Dims[start.Axis];
            int first = Math.Max(0, range?.First ?? 0), last = Math.Min(count - 1, range?.Last ?? count - 1);
            if (first > last || start.Index < first || start.Index > last)
                throw new ArgumentException($"slice range {first}…{last} must contain the prompted slice {start.Index}");
            int total = last - first;
            return options.Propagation.Propagate(start.Axis, start.Index, start.Prediction, first, last,
                (k, prompt) => PredictAt(start.Axis, k, prompt),
                progress is null ? null : new OutOf(progress, total), cancel);
        }
    }

    /// <summary>
    /// Labels every slice across <paramref name="axis"/> (default axial) with the PG-SAM model,
    /// prompt-free, and keeps the result as the session's label map (accepted objects are drawn on
    /// top of it). <paramref name="intensity"/> is the rule the model's training data were prepared
    /// with (default <see cref="VolumeIntensity.ForPgSam"/>); <paramref name="caseId"/> names the
    /// slices for per-image descriptions (default <see cref="CaseIds.Of"/> of the input's source).
    /// </summary>
    public PgSamVolumePrediction SegmentAll(int? axis = null, VolumeIntensity? intensity = null, SliceDescriptions? descriptions = null,
                                            string? caseId = null, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        lock (gate)
        {
            intensity ??= VolumeIntensity.ForPgSam(Input, null, null);
            var prediction = PredictPromptFree(axis, intensity, descriptions, caseId, progress, cancel);
            labelMap = prediction;
            labelMapIntensity = intensity.ToString();
            return prediction;
        }
    }

    /// <summary>
    /// Labels every slice as <see cref="SegmentAll"/> does, but answers one object per class found
    /// (its masks on the slices across the axis, on the RAS+ grid) instead of keeping the map, so
    /// that each structure can be accepted, relabelled or removed on its own. Each object's start
    /// slice is the one where it is largest; PG-SAM predicts no IoU, so its IoU reads 0.
    /// </summary>
    public IReadOnlyList<SegmentedObject> SegmentStructures(int? axis = null, VolumeIntensity? intensity = null, SliceDescriptions? descriptions = null,
                                                            string? caseId = null, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        lock (gate)
        {
            var prediction = PredictPromptFree(axis, intensity ?? VolumeIntensity.ForPgSam(Input, null, null), descriptions, caseId, progress, cancel);
            var canonical = transform.Apply(prediction.Labels);
            int along = prediction.Axis;
            var masks = new SortedDictionary<int, Dictionary<int, byte[]>>();
            int height = 0, width = 0;
            for (int k = 0; k < Dims[along]; k++)
            {
                var (codes, h, w) = SliceGeometry.Extract(canonical, along, k);
                (height, width) = (h, w);
                for (int i = 0; i < codes.Length; i++)
                {
                    int c = (int)codes[i];
                    if (c <= 0) continue;
                    if (!masks.TryGetValue(c, out var slices)) masks[c] = slices = [];
                    if (!slices.TryGetValue(k, out var mask)) slices[k] = mask = new byte[h * w];
                    mask[i] = 1;
                }
            }
            var names = promptFree!.Config.Categories;
            return [.. masks.Select(m =>
            {
                var (start, startMask) = m.Value.MaxBy(s => s.Value.Count(v => v != 0));
                var answer = new SemanticPrediction(height, width, startMask, 0f, startMask, m.Key - 1, names[m.Key - 1], null);
                return new SegmentedObject(along, start, m.Value, answer);
            })];
        }
    }

    PgSamVolumePrediction PredictPromptFree(int? axis, VolumeIntensity intensity, SliceDescriptions? descriptions, string? caseId,
                                            IProgress<(int Done, int Total)>? progress, CancellationToken cancel)
    {
        ThrowIfDisposed();
        var model = promptFree ?? throw new InvalidOperationException("this session has no PG-SAM model to label slices prompt-free");
        string id = caseId ?? (Input.Source.Length > 0 ? CaseIds.Of(Input.Source) : "image");
        lock (model) return new PgSamVolumePredictor(model).Predict(Input, intensity, id, axis, descriptions, progress, cancel);
    }

    /// <summary>The objects kept, in the order they were accepted (later ones are drawn over earlier ones).</summary>
    public IReadOnlyList<AcceptedObject> Objects
    {
        get { lock (gate) return [.. objects]; }
    }

    /// <summary>
    /// Keeps <paramref name="segmented"/> in the label volume with voxel value <paramref name="label"/>;
    /// by default its category's number (category index + 1), or for a binary model its place among
    /// the accepted objects.
    /// </summary>
    public AcceptedObject Accept(SegmentedObject segmented, int? label = null)
    {
        ArgumentNullException.ThrowIfNull(segmented);
        lock (gate)
        {
            ThrowIfDisposed();
            if (segmented.Axis is < 0 or > 2) throw new ArgumentException($"axis {segmented.Axis} is not 0, 1 or 2");
            int value = label ?? (segmented.Start.ClassIndex is { } c ? c + 1 : objects.Count + 1);
            CheckLabel(value);
            var accepted = new AcceptedObject(nextId++, value, segmented);
            objects.Add(accepted);
            return accepted;
        }
    }

    /// <summary>Keeps a single-slice answer (<see cref="SegmentedObject.OnOneSlice"/>).</summary>
    public AcceptedObject Accept(SlicePrediction answer, int? label = null) =>
        Accept(SegmentedObject.OnOneSlice(answer.Axis, answer.Index, answer.Prediction), label);

    /// <summary>Gives accepted object <paramref name="id"/> another voxel value.</summary>
    public AcceptedObject Relabel(int id, int label)
    {
        lock (gate)
        {
            CheckLabel(label);
            int at = IndexOf(id);
            objects[at] = objects[at] with { Label = label };
            return objects[at];
        }
    }

    /// <summary>Drops accepted object <paramref name="id"/> from the label volume.</summary>
    public void Remove(int id)
    {
        lock (gate) objects.RemoveAt(IndexOf(id));
    }

    /// <summary>The label volume on the input's grid and affine: the prompt-free map if any, with the accepted objects drawn over it.</summary>
    public Volume Labels()
    {
        lock (gate) return LabelVolume();
    }

    /// <summary>
    /// Writes the accepted objects: DIR/labels.nii.gz on the input's grid (<see cref="ExportFormats.Nifti"/>),
    /// DIR/segmentation.seg.dcm and DIR/rtstruct.dcm (<see cref="ExportFormats.DicomSeg"/>,
    /// <see cref="ExportFormats.RtStruct"/>: DICOM inputs only, see <see cref="EncodeDicom(ExportFormats, string?)"/>),
    /// DIR/slice.png and DIR/overlay.png of <paramref name="view"/> (default: the first object's
    /// slice, or the default slice) with its prompts, and DIR/segmentation.json (<see cref="ObjectsExport"/>,
    /// listing every file), each atomically. Without a SEG-SAM model there is no prompted view to
    /// draw: the two pictures are left out.
    /// </summary>
    public ObjectsExport ExportObjects(string dir, ExportView? view = null, ExportFormats formats = ExportFormats.Nifti, string? modelName = null)
    {
        lock (gate)
        {
            ThrowIfDisposed();
            var volume = slices;
            view ??= objects.Count > 0 ? new ExportView(objects[0].Object.Axis, objects[0].Object.StartSlice, [])
                : new ExportView(DefaultSlice.Axis, DefaultSlice.Index, []);
            CheckSlice(view.Axis, view.Index);
            var labels = LabelVolume();
            var dicom = EncodeDicom(labels, formats, modelName);
            Directory.CreateDirectory(dir);
            var files = new List<string>();
            if (formats.HasFlag(ExportFormats.Nifti))
            {
                string nifti = Path.Combine(dir, "labels.nii.gz");
                NiftiFile.Write(nifti, labels, objects.Count == 0 || objects.Max(o => o.Label) <= 255 ? "uint8" : "int16");
                files.Add(nifti);
            }
            files.AddRange(WriteDicom(dir, dicom));

            if (volume is not null)
            {
                var (pixels, h, w) = SliceGeometry.Extract(volume, view.Axis, view.Index);
                string slicePng = Path.Combine(dir, "slice.png");
                PixelFile.WritePng(slicePng, h, w, 1, pixels.Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray());
                files.Add(slicePng);
                var union = new byte[h * w];
                foreach (var o in objects.Where(o => o.Object.Axis == view.Axis))
                    if (o.Object.SliceMasks.TryGetValue(view.Index, out var m))
                        for (int i = 0; i < union.Length; i++) union[i] |= m[i];
                var overlay = OverlayRenderer.Render(new OverlaySlice(h, w, pixels)
                {
                    Predicted = union,
                    Box = view.Prompts.Select(p => p.Box).FirstOrDefault(b => b is not null) is { } b ? new OverlayBox(b.X0, b.Y0, b.X1, b.Y1) : null,
                    Clicks = view.Prompts.SelectMany(p => p.Points).Select(p => new OverlayClick(p.X, p.Y, p.Label == 1)).ToList(),
                }, scale: Math.Max(1, 512 / Math.Max(h, w)));
                string overlayPng = Path.Combine(dir, "overlay.png");
                AtomicFile.WriteAllBytes(overlayPng, overlay.ToPng());
                files.Add(overlayPng);
            }

            double voxelVolume = Spacing[0] * Spacing[1] * Spacing[2];
            var entries = objects.Select((o, i) =>
            {
                var s = o.Object;
                bool volumetric = Dims[s.Axis] > 1;
                return new ExportedObject(i + 1, o.Label, s.Start.ClassName, s.Start.ClassProbability, s.Start.Iou, s.StartSlice,
                    s.Start.Area, s.Start.Area * PixelArea(s.Axis), volumetric && s.SliceMasks.Count > 0 ? s.VoxelCount * voxelVolume : null,
                    s.FirstSlice, s.LastSlice);
            }).ToList();
            string json = Path.Combine(dir, "segmentation.json");
            files.Add(json);
            var export = new ObjectsExport(Input.Source, SliceAxis.Name(view.Axis), view.Index, entries, files);
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(export, Json));
            return export;
        }
    }

    /// <summary>
    /// Writes the prompt-free label map of <see cref="SegmentAll"/>: DIR/labels.nii.gz on the
    /// input's grid, the DICOM objects <paramref name="formats"/> asks for (as <see cref="ExportObjects"/>)
    /// and DIR/segmentation.json with the label table, each class's size and the files (<see cref="LabelMapExport"/>).
    /// </summary>
    public LabelMapExport ExportLabelMap(string dir, ExportFormats formats = ExportFormats.Nifti, string? modelName = null)
    {
        lock (gate)
        {
            var prediction = labelMap ?? throw new InvalidOperationException("nothing to export: label the volume first (SegmentAll)");
            var labels = objects.Count == 0 ? prediction.Labels : LabelVolume();
            var dicom = EncodeDicom(labels, formats, modelName);
            Directory.CreateDirectory(dir);
            var files = new List<string>();
            if (formats.HasFlag(ExportFormats.Nifti))
            {
                string nifti = Path.Combine(dir, "labels.nii.gz");
                NiftiFile.Write(nifti, labels, prediction.Labels.SourceDataType);
                files.Add(nifti);
            }
            files.AddRange(WriteDicom(dir, dicom));
            string json = Path.Combine(dir, "segmentation.json");
            files.Add(json);
            var names = new[] { "background" }.Concat(promptFree!.Config.Categories).ToArray();
            var counts = new long[names.Length];
            foreach (float v in labels.Data) if (v >= 0 && v < names.Length) counts[(int)v]++;
            var spacing = Input.Spacing;
            double voxelMm3 = spacing[0] * spacing[1] * spacing[2];
            var export = new LabelMapExport(Input.Source, "pgsam", SliceAxis.Name(prediction.Axis), prediction.SliceIds.Count, labelMapIntensity!,
                names.Select((n, i) => (n, i)).ToDictionary(p => p.i, p => p.n),
                [.. Enumerable.Range(1, names.Length - 1).Select(c => new ExportedClass(c, names[c], counts[c], counts[c] * voxelMm3))],
                files);
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(export, Json));
            return export;
        }
    }

    /// <summary>
    /// Refuses DICOM <paramref name="formats"/> for an input that is not a DICOM series, before any
    /// work is done: an <see cref="InvalidDataException"/> naming the input.
    /// </summary>
    public void CheckExport(ExportFormats formats)
    {
        if ((formats & (ExportFormats.DicomSeg | ExportFormats.RtStruct)) != 0 && Input.DicomSource is null)
            throw new InvalidDataException($"{(Input.Source.Length > 0 ? Input.Source : "the input")}: is not a DICOM series; " +
                "DICOM SEG and RTSTRUCT output reference the DICOM instances they were made from, so they need a DICOM input");
    }

    /// <summary>
    /// The label volume (<see cref="Labels"/>) as a DICOM Segmentation (<paramref name="format"/>
    /// <see cref="ExportFormats.DicomSeg"/>) or RT Structure Set (<see cref="ExportFormats.RtStruct"/>)
    /// on the input series; <paramref name="modelName"/> joins the algorithm name. A non-DICOM
    /// input or a volume without labelled voxels is an <see cref="InvalidDataException"/>.
    /// </summary>
    public byte[] EncodeDicom(ExportFormats format, string? modelName = null)
    {
        if (format is not (ExportFormats.DicomSeg or ExportFormats.RtStruct))
            throw new ArgumentException($"one DICOM format, DicomSeg or RtStruct, got {format}");
        lock (gate)
        {
            ThrowIfDisposed();
            return EncodeDicom(LabelVolume(), format, modelName).Single().Bytes;
        }
    }

    /// <summary>Value → category name of the labels: the prompt-free model's classes, then the accepted objects' categories (the later one wins).</summary>
    public IReadOnlyList<LabelCategory> LabelCategories()
    {
        lock (gate) return CategoriesOfLabels();
    }

    List<LabelCategory> CategoriesOfLabels()
    {
        var names = new SortedDictionary<int, string>();
        if (labelMap is not null)
            foreach (var (name, c) in promptFree!.Config.Categories.Select((n, c) => (n, c))) names[c + 1] = name;
        foreach (var o in objects) names[o.Label] = o.Object.Start.ClassName ?? $"object {o.Label}";
        return [.. names.Select(n => new LabelCategory(n.Key, n.Value))];
    }

    /// <summary>The DICOM files <paramref name="formats"/> asks for, encoded (nothing is written until every one is).</summary>
    List<(string Name, byte[] Bytes)> EncodeDicom(Volume labels, ExportFormats formats, string? modelName)
    {
        var result = new List<(string, byte[])>();
        if ((formats & (ExportFormats.DicomSeg | ExportFormats.RtStruct)) == 0) return result;
        CheckExport(formats);
        var source = Input.DicomSource!;
        if (!labels.Data.Any(v => v != 0))
            throw new InvalidDataException($"{Input.Source}: no voxel is labelled, so there is no DICOM SEG or RTSTRUCT to write (each needs at least one segment)");
        string kind = (labelMap is not null, objects.Count > 0) switch
        {
            (true, true) => "PG-SAM + SEG-SAM",
            (true, false) => "PG-SAM",
            _ => "SEG-SAM",
        };
        var options = new DicomExportOptions
        {
            AlgorithmName = $"SegSam {kind}{(modelName is null ? "" : $" {modelName}")}",
            AlgorithmVersion = Imaging.Dicom.Writing.DerivedObject.SoftwareVersion,
        };
        var categories = CategoriesOfLabels();
        if (formats.HasFlag(ExportFormats.DicomSeg)) result.Add((DicomSegFileName, DicomSegWriter.Encode(labels, categories, source, options)));
        if (formats.HasFlag(ExportFormats.RtStruct)) result.Add((RtStructFileName, DicomRtStructWriter.Encode(labels, categories, source, options)));
        return result;
    }

    static IEnumerable<string> WriteDicom(string dir, List<(string Name, byte[] Bytes)> files)
    {
        foreach (var (name, bytes) in files)
        {
            string path = Path.Combine(dir, name);
            AtomicFile.WriteAllBytes(path, bytes);
            yield return path;
        }
    }

    /// <summary>The prediction of the prompted model on one slice, its encoding taken from the cache.</summary>
    SemanticPrediction PredictAt(int axis, int index, SamPrompt prompt)
    {
        ThrowIfDisposed();
        var volume = PromptedSlices();
        lock (prompted!)
        {
            var slice = cache.Get(axis, index, () =>
            {
                var (pixels, h, w) = SliceGeometry.Extract(volume, axis, index);
                return predictor!.Encode(pixels, h, w);
            });
            return predictor!.Predict(slice, prompt);
        }
    }

    Volume LabelVolume()
    {
        var canonical = labelMap is null ? new float[slices?.Data.Length ?? Input.Data.Length] : transform.Apply(labelMap.Labels).Data;
        foreach (var o in objects)
            foreach (var (k, mask) in o.Object.SliceMasks)
                SliceGeometry.Insert(canonical, [.. Dims], o.Object.Axis, k, mask, o.Label);
        // Restore puts values back on the input's grid; the canonical affine plays no part in it.
        var restored = transform.Restore(new Volume([.. Dims], canonical, Volume.Identity(), Input.Source));
        return new Volume([.. Input.Dims], restored.Data, (double[,])Input.Affine.Clone(), Input.Source);
    }

    Volume PromptedSlices()
    {
        ThrowIfDisposed();
        return slices ?? throw new InvalidOperationException("this session has no SEG-SAM model: prompts need one");
    }

    void CheckSlice(int axis, int index)
    {
        if (axis is < 0 or > 2) throw new ArgumentException($"axis {axis} is not 0 (sagittal), 1 (coronal) or 2 (axial)");
        if (index < 0 || index >= Dims[axis])
            throw new ArgumentException($"slice {index} does not exist: the volume has {Dims[axis]} {SliceAxis.Name(axis)} slices (0..{Dims[axis] - 1})");
    }

    static void CheckLabel(int label)
    {
        if (label is < 1 or > short.MaxValue) throw new ArgumentException($"a label value must lie in 1..{short.MaxValue}, got {label}");
    }

    int IndexOf(int id)
    {
        int at = objects.FindIndex(o => o.Id == id);
        return at >= 0 ? at : throw new KeyNotFoundException($"no accepted object has id {id}");
    }

    static int[] InPlaneAxes(int axis) => axis switch { 0 => [1, 2], 1 => [0, 2], _ => [0, 1] };

    double PixelArea(int axis)
    {
        int[] inPlane = InPlaneAxes(axis);
        return Spacing[inPlane[0]] * Spacing[inPlane[1]];
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            if (prompted is not null) lock (prompted) { cache.Dispose(); predictor?.Dispose(); }
        }
    }

    /// <summary>Reports a count as (count, total), on the calling thread.</summary>
    sealed class OutOf(IProgress<(int Done, int Total)> target, int total) : IProgress<int>
    {
        public void Report(int value) => target.Report((value, total));
    }
}
