using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Reporting;
using SegSam.IO;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam segment`: prompted, labelled segmentation of a 2D image or of one slice of a volume
/// (NIfTI, DICOM series, MetaImage, NRRD), optionally propagated through the volume (MedSAM-style).
/// Writes a label map on the input's grid, an overlay PNG and a JSON of the objects. With a PG-SAM
/// model: prompt-free, every slice of the volume (<see cref="PgSamCli.Segment"/>).
/// </summary>
public static class SegmentCommand
{
    static readonly string[] AxisNames = ["sagittal", "coronal", "axial"];

    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Input: NIfTI (.nii/.nii.gz), DICOM series folder, .mha/.mhd, .nrrd, or a 2D .png/.jpg/.npy", Required = true };
        var slice = new Option<string?>("--slice") { Description = "AXIS:INDEX of a volume, AXIS = axial|coronal|sagittal (default: the middle axial slice)" };
        var boxes = new Option<string[]>("--box") { Description = "x0,y0,x1,y1 in pixels of the slice as written to slice.png (inclusive corners); each box is one object; repeatable" };
        var points = new Option<string[]>("--point") { Description = "x,y,label on the slice (1 object, 0 background); all points together are one object; repeatable" };
        var propagate = new Option<bool>("--propagate") { Description = "Follow each object through the volume: the mask's box on one slice prompts the next, both ways, until the object ends" };
        var range = new Option<string?>("--range") { Description = "FIRST:LAST slice (inclusive) that --propagate may reach, when you know the object's extent" };
        var model = new Option<string?>("--model") { Description = "A SEG-SAM model (default: the bundled models/segsam-atlas.safetensors), or a PG-SAM model: prompt-free, every slice of the volume labelled (no --box/--point)" };
        var output = new Option<string>("--out") { Description = "Output folder (labels.nii.gz, segmentation.json; SEG-SAM also slice.png, overlay.png)", Required = true };
        var modality = new Option<string?>("--modality") { Description = "SEG-SAM: CT or MR: how intensities become 0–255 (default: CT when values below −100 exist, else MR)" };
        var window = new Option<string?>("--window") { Description = $"CT window: {string.Join(", ", Intensity.CtWindows.Keys)} or LEVEL,WIDTH (default abdomen; transunet, i.e. HU [−125, 275], for a PG-SAM model)" };
        var axis = new Option<string?>("--axis") { Description = "PG-SAM: the slices to predict, axial (default), coronal or sagittal" };
        var intensity = new Option<string?>("--intensity") { Description = "PG-SAM: ct (HU clipped to [−125, 275] and scaled, the Synapse rule; --window changes the window) or mr (0.5–99.5 percentiles); default: ct when values below −100 exist, else mr. Use the rule the model's training data were prepared with" };
        var descriptions = new Option<string?>("--image-descriptions") { Description = "PG-SAM: per-slice descriptions (JSON id → text, or a folder of ID.txt), ids <file name>-<axis>-<index:000>; needed when the model was trained with them" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var command = new Command("segment", "Segment and label objects in an image or volume from box/point prompts (SEG-SAM), or every slice prompt-free (PG-SAM).")
        {
            image, slice, boxes, points, propagate, range, model, output, modality, window, axis, intensity, descriptions, json,
        };
        command.SetAction(parse =>
        {
            var prompts = (parse.GetValue(boxes) ?? []).Select(b => new SamPrompt { Box = ValueParsing.Box(b) }).ToList();
            var clicks = (parse.GetValue(points) ?? []).Select(ValueParsing.Point).ToList();
            if (clicks.Count > 0) prompts.Add(new SamPrompt { Points = clicks });
            string modelPath = RepoPaths.Resolve(parse.GetValue(model) ?? BundledModel.Path);
            if (!File.Exists(modelPath)) throw new FileNotFoundException($"model not found: {modelPath}", modelPath);
            string outDir = parse.GetValue(output)!;
            string input = parse.GetValue(image)!;
            if (PgSamModelCheckpoint.IsPgSamModel(modelPath))
            {
                if (prompts.Count > 0)
                    throw new UsageException("a PG-SAM model is prompt-free: it labels every slice with all its classes; drop --box/--point (prompts are for SEG-SAM models)");
                if (parse.GetValue(slice) is not null || parse.GetValue(propagate) || parse.GetValue(range) is not null)
                    throw new UsageException("--slice, --propagate and --range apply to SEG-SAM models; a PG-SAM model predicts every slice (choose their direction with --axis)");
                if (parse.GetValue(modality) is not null)
                    throw new UsageException("--modality applies to SEG-SAM models; with a PG-SAM model give --intensity ct|mr");
                return PgSamCli.Segment(modelPath, input, outDir, parse.GetValue(axis), parse.GetValue(intensity), parse.GetValue(window),
                    parse.GetValue(descriptions), parse.GetValue(json));
            }
            if (parse.GetValue(axis) is not null || parse.GetValue(intensity) is not null || parse.GetValue(descriptions) is not null)
                throw new UsageException("--axis, --intensity and --image-descriptions apply to PG-SAM models only");
            if (prompts.Count == 0) throw new UsageException("give at least one --box or --point");

            var scene = Scene.Load(input, parse.GetValue(slice), parse.GetValue(modality), parse.GetValue(window));
            using var segsam = SegSamCheckpoint.Load(modelPath);
            using var predictor = new SegSamPredictor(segsam);
            var segmenter = new VolumeSegmenter(predictor);
            bool doPropagate = parse.GetValue(propagate);
            if (doPropagate && scene.Ras.Dims[scene.Axis] == 1) throw new UsageException("--propagate needs a volume; the input has a single slice");
            var limits = ParseRange(parse.GetValue(range), scene.Index, scene.Ras.Dims[scene.Axis]);
            if (limits is not null && !doPropagate) throw new UsageException("--range bounds --propagate; give both");
            var objects = new List<(SegmentedObject Object, int Label)>();
            foreach (var prompt in prompts)
            {
                var obj = segmenter.Segment(scene.Ras, scene.Axis, scene.Index, prompt, doPropagate, limits);
                int label = obj.Start.ClassIndex is { } c ? c + 1 : objects.Count + 1;
                objects.Add((obj, label));
            }
            var result = scene.Write(outDir, objects, prompts, segsam.Config.Categories);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                foreach (var o in result.Objects)
                    Console.WriteLine($"object {o.Index}: {o.Category ?? "(binary)"}{(o.ClassProbability is { } p ? $" p={p:F2}" : "")}, predicted IoU {o.PredictedIou:F2}, " +
                        $"{o.AreaMm2:F1} mm² on slice {o.Slice}{(o.VolumeMm3 is { } v ? $", {v:F0} mm³ over slices {o.FirstSlice}–{o.LastSlice}" : "")}");
                foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A named CT window or LEVEL,WIDTH in HU.</summary>
    internal static (double Level, double Width) ParseWindow(string text)
    {
        if (Intensity.CtWindows.TryGetValue(text, out var named)) return named;
        var v = ValueParsing.Numbers(text, 2, "--window", $"a name ({string.Join(", ", Intensity.CtWindows.Keys)}) or LEVEL,WIDTH");
        if (v[1] <= 0) throw new UsageException("--window width must be positive");
        return (v[0], v[1]);
    }

    static (int First, int Last)? ParseRange(string? text, int index, int count)
    {
        if (text is null) return null;
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int first) || !int.TryParse(parts[1], out int last))
            throw new UsageException($"--range expects FIRST:LAST slice numbers, got '{text}'");
        if (first > last || first < 0 || last >= count)
            throw new UsageException($"--range {text}: needs 0 <= FIRST <= LAST <= {count - 1}");
        if (index < first || index > last)
            throw new UsageException($"--range {text} does not contain the prompted slice {index}");
        return (first, last);
    }

    /// <summary>What was segmented, as written to segmentation.json.</summary>
    public sealed record SegmentResult(string Input, string Axis, int Slice, IReadOnlyList<ObjectSummary> Objects, IReadOnlyList<string> Files);

    public sealed record ObjectSummary(int Index, int LabelValue, string? Category, float? ClassProbability, float PredictedIou,
                                       int Slice, int AreaPixels, double AreaMm2, double? VolumeMm3, int FirstSlice, int LastSlice);

    /// <summary>The input on a RAS+ grid with intensities in [0, 255], the slice to prompt, and how to write results back.</summary>
    sealed class Scene
    {
        public required string Input { get; init; }
        public required Volume Ras { get; init; }
        public required CanonicalTransform Transform { get; init; }
        public required Volume Original { get; init; }
        public required int Axis { get; init; }
        public required int Index { get; init; }

        public static Scene Load(string input, string? sliceSpec, string? modality, string? window)
        {
            var volume = MedicalImage.Load(input);
            bool flat = volume.Nz == 1;
            // Slices are cut from the RAS+ grid the way viewers show them (pictures come out as stored).
            var (ras, transform) = Orientation.Canonical(volume);
            var normalised = ras.WithData(Normalise(ras, modality, window), "float32");
            int axis = 2, index = ras.Dims[2] / 2;
            if (sliceSpec is not null)
            {
                if (flat) throw new UsageException("--slice applies to volumes; the input is a 2D image");
                (axis, index) = ParseSlice(sliceSpec, ras.Dims);
            }
            return new Scene { Input = input, Ras = normalised, Transform = transform, Original = volume, Axis = axis, Index = index };
        }

        static float[] Normalise(Volume v, string? modality, string? window)
        {
            string kind = modality?.ToUpperInvariant() ?? (v.Data.Min() < -100 ? "CT" : "MR");
            if (kind == "CT")
            {
                var (level, width) = ParseWindow(window ?? "abdomen");
                return Intensity.Window(v.Data, level, width);
            }
            if (kind != "MR") throw new UsageException($"--modality must be CT or MR, got '{modality}'");
            if (window is not null) throw new UsageException("--window applies to CT");
            // 8-bit pictures are already display values; anything else is stretched between percentiles.
            return v.SourceDataType == "uint8" && v.Data.Max() <= 255 ? (float[])v.Data.Clone() : Intensity.PercentileClip(v.Data);
        }

        static (int Axis, int Index) ParseSlice(string text, int[] dims)
        {
            var parts = text.Split(':');
            int axis = parts.Length == 2 ? Array.IndexOf(AxisNames, parts[0].ToLowerInvariant()) : -1;
            if (axis < 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw new UsageException($"--slice expects AXIS:INDEX with AXIS axial, coronal or sagittal, got '{text}'");
            if (index >= dims[axis])
                throw new UsageException($"--slice {text}: the volume has {dims[axis]} {AxisNames[axis]} slices (0..{dims[axis] - 1})");
            return (axis, index);
        }

        public SegmentResult Write(string dir, List<(SegmentedObject Object, int Label)> objects, List<SamPrompt> prompts, string[] categories)
        {
            Directory.CreateDirectory(dir);
            var files = new List<string>();
            var labelsRas = VolumeSegmenter.LabelVolume(Ras, objects);
            var labelGrid = Ras.WithData(labelsRas, "uint8");
            var onInput = Transform.Restore(labelGrid);
            string type = objects.Count == 0 || objects.Max(o => o.Label) <= 255 ? "uint8" : "int16";
            var labelVolume = new Volume(Original.Dims.ToArray(), onInput.Data, (double[,])Original.Affine.Clone(), Input);
            string nifti = Path.Combine(dir, "labels.nii.gz");
            NiftiFile.Write(nifti, labelVolume, type);
            files.Add(nifti);

            var (pixels, h, w) = SliceGeometry.Extract(Ras, Axis, Index);
            string slicePng = Path.Combine(dir, "slice.png");
            PixelFile.WritePng(slicePng, h, w, 1, pixels.Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray());
            files.Add(slicePng);
            var union = new byte[h * w];
            foreach (var (obj, _) in objects)
                if (obj.SliceMasks.TryGetValue(Index, out var m))
                    for (int i = 0; i < union.Length; i++) union[i] |= m[i];
            var overlay = OverlayRenderer.Render(new OverlaySlice(h, w, pixels)
            {
                Predicted = union,
                Box = prompts.Select(p => p.Box).FirstOrDefault(b => b is not null) is { } b ? new OverlayBox(b.X0, b.Y0, b.X1, b.Y1) : null,
                Clicks = prompts.SelectMany(p => p.Points).Select(p => new OverlayClick(p.X, p.Y, p.Label == 1)).ToList(),
            }, scale: Math.Max(1, 512 / Math.Max(h, w)));
            string overlayPng = Path.Combine(dir, "overlay.png");
            AtomicFile.WriteAllBytes(overlayPng, overlay.ToPng());
            files.Add(overlayPng);

            var spacing = Ras.Spacing;
            int[] inPlane = Axis switch { 0 => [1, 2], 1 => [0, 2], _ => [0, 1] };
            double pixelArea = spacing[inPlane[0]] * spacing[inPlane[1]], voxelVolume = spacing[0] * spacing[1] * spacing[2];
            bool volumetric = Ras.Dims[Axis] > 1;
            var summaries = objects.Select((o, i) => new ObjectSummary(i + 1, o.Label, o.Object.Start.ClassName, o.Object.Start.ClassProbability,
                o.Object.Start.Iou, Index, o.Object.Start.Area, o.Object.Start.Area * pixelArea,
                volumetric && o.Object.SliceMasks.Count > 0 ? o.Object.VoxelCount * voxelVolume : null,
                o.Object.SliceMasks.Count > 0 ? o.Object.FirstSlice : Index, o.Object.SliceMasks.Count > 0 ? o.Object.LastSlice : Index)).ToList();
            string jsonPath = Path.Combine(dir, "segmentation.json");
            files.Add(jsonPath);
            var result = new SegmentResult(Input, AxisNames[Axis], Index, summaries, files);
            AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            return result;
        }
    }
}
