using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Inference;
using SegSam.Modeling;
using SegSam.Text;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam segment`: prompted, labelled segmentation of a 2D image or of one slice of a volume
/// (NIfTI, DICOM series, MetaImage, NRRD), optionally propagated through the volume (MedSAM-style).
/// Writes a label map on the input's grid, an overlay PNG and a JSON of the objects. With a PG-SAM
/// model: prompt-free, every slice of the volume. The work is the library's <see cref="SegmentationSession"/>.
/// </summary>
public static class SegmentCommand
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Input: NIfTI (.nii/.nii.gz), DICOM series folder, .mha/.mhd, .nrrd, or a 2D .png/.jpg/.npy", Required = true };
        var slice = new Option<string?>("--slice") { Description = "AXIS:INDEX of a volume, AXIS = axial|coronal|sagittal (default: the middle axial slice)" };
        var boxes = new Option<string[]>("--box") { Description = "x0,y0,x1,y1 in pixels of the slice as written to slice.png (inclusive corners); each box is one object; repeatable" };
        var points = new Option<string[]>("--point") { Description = "x,y,label on the slice (1 object, 0 background); all points together are one object; repeatable" };
        var propagate = new Option<bool>("--propagate") { Description = "Follow each object through the volume: the mask's box on one slice prompts the next, both ways, until the object ends" };
        var range = new Option<string?>("--range") { Description = "FIRST:LAST slice (inclusive) that --propagate may reach, when you know the object's extent" };
        var model = new Option<string?>("--model") { Description = "A SEG-SAM model (default with --box/--point: the bundled models/segsam-atlas.safetensors), or a PG-SAM model: prompt-free, every slice of the volume labelled (default without prompts: the bundled models/pgsam-atlas-lobes.safetensors)" };
        var output = new Option<string>("--out") { Description = "Output folder (labels.nii.gz, segmentation.json; SEG-SAM also slice.png, overlay.png)", Required = true };
        var modality = new Option<string?>("--modality") { Description = "SEG-SAM: CT or MR: how intensities become 0–255 (default: CT when values below −100 HU exist, else MR)" };
        var windowOption = new Option<string?>("--window") { Description = $"CT window: {string.Join(", ", Intensity.CtWindows.Keys)} or LEVEL,WIDTH (default abdomen; transunet, i.e. HU [−125, 275], for a PG-SAM model)" };
        var axis = new Option<string?>("--axis") { Description = "PG-SAM: the slices to predict, axial (default), coronal or sagittal" };
        var intensity = new Option<string?>("--intensity") { Description = "PG-SAM: ct (HU clipped to [−125, 275] and scaled, the Synapse rule; --window changes the window) or mr (0.5–99.5 percentiles); default: ct when values below −100 HU exist, else mr. Use the rule the model's training data were prepared with" };
        var descriptions = new Option<string?>("--image-descriptions") { Description = "PG-SAM: per-slice descriptions (JSON id → text, or a folder of ID.txt), ids <file name>-<axis>-<index:000>; needed when the model was trained with them" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var precision = PrecisionOption.Create();
        var command = new Command("segment", "Segment and label objects in an image or volume from box/point prompts (SEG-SAM), or every slice prompt-free (PG-SAM).")
        {
            image, slice, boxes, points, propagate, range, model, output, modality, windowOption, axis, intensity, descriptions, precision, json,
        };
        command.SetAction(parse =>
        {
            var prompts = (parse.GetValue(boxes) ?? []).Select(b => new SamPrompt { Box = ValueParsing.Box(b) }).ToList();
            var clicks = (parse.GetValue(points) ?? []).Select(ValueParsing.Point).ToList();
            if (clicks.Count > 0) prompts.Add(new SamPrompt { Points = clicks });
            // No model and no prompt: the bundled prompt-free model labels the whole volume.
            string modelPath = RepoPaths.Resolve(parse.GetValue(model) ?? (prompts.Count == 0 ? BundledModel.PgSamPath : BundledModel.Path));
            if (!File.Exists(modelPath)) throw new FileNotFoundException($"model not found: {modelPath}", modelPath);
            string outDir = parse.GetValue(output)!;
            string input = parse.GetValue(image)!;
            var window = parse.GetValue(windowOption) is { } w ? ValueParsing.Window(w) : ((double, double)?)null;
            var encoderPrecision = PrecisionOption.Value(parse.GetValue(precision));
            if (PgSamModelCheckpoint.IsPgSamModel(modelPath))
            {
                if (prompts.Count > 0)
                    throw new UsageException("a PG-SAM model is prompt-free: it labels every slice with all its classes; drop --box/--point (prompts are for SEG-SAM models)");
                if (parse.GetValue(slice) is not null || parse.GetValue(propagate) || parse.GetValue(range) is not null)
                    throw new UsageException("--slice, --propagate and --range apply to SEG-SAM models; a PG-SAM model predicts every slice (choose their direction with --axis)");
                if (parse.GetValue(modality) is not null)
                    throw new UsageException("--modality applies to SEG-SAM models; with a PG-SAM model give --intensity ct|mr");
                return SegmentAll(modelPath, encoderPrecision, input, outDir, parse.GetValue(axis), parse.GetValue(intensity), window, parse.GetValue(descriptions), parse.GetValue(json));
            }
            if (parse.GetValue(axis) is not null || parse.GetValue(intensity) is not null || parse.GetValue(descriptions) is not null)
                throw new UsageException("--axis, --intensity and --image-descriptions apply to PG-SAM models only");
            if (prompts.Count == 0) throw new UsageException("give at least one --box or --point");

            using var segsam = SegSamCheckpoint.Load(modelPath, encoderPrecision);
            using var session = ValueParsing.LibraryCall(() => SegmentationSession.Open(input, segsam, options: new SessionOptions { Modality = parse.GetValue(modality), Window = window }), "--modality/--window");
            var (sliceAxis, index) = session.DefaultSlice;
            if (parse.GetValue(slice) is { } spec)
            {
                if (session.IsFlat) throw new UsageException("--slice applies to volumes; the input is a 2D image");
                (sliceAxis, index) = ParseSlice(spec, session.Dims);
            }
            bool doPropagate = parse.GetValue(propagate);
            if (doPropagate && session.Dims[sliceAxis] == 1) throw new UsageException("--propagate needs a volume; the input has a single slice");
            var limits = ParseRange(parse.GetValue(range), index, session.Dims[sliceAxis]);
            if (limits is not null && !doPropagate) throw new UsageException("--range bounds --propagate; give both");
            foreach (var prompt in prompts)
            {
                var answer = ValueParsing.LibraryCall(() => session.Prompt(new SlicePrompt(sliceAxis, index, prompt)), prompt.Box is null ? "--point" : "--box");
                session.Accept(doPropagate ? session.Propagate(answer, limits) : SegmentedObject.OnOneSlice(sliceAxis, index, answer.Prediction));
            }
            var result = session.ExportObjects(outDir, new ExportView(sliceAxis, index, prompts));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, Json));
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

    /// <summary>
    /// With a PG-SAM model: every slice of <paramref name="input"/> across the axis labelled
    /// prompt-free, written as DIR/labels.nii.gz on the input's grid with DIR/segmentation.json.
    /// </summary>
    static int SegmentAll(string modelPath, EncoderPrecision precision, string input, string outDir, string? axisName, string? intensityName, (double, double)? window,
                          string? descriptionsPath, bool json)
    {
        int? sliceAxis = axisName is null ? null : ValueParsing.LibraryCall(() => SliceAxis.Parse(axisName), "--axis");
        using var model = PgSamModelCheckpoint.Load(modelPath, precision);
        using var session = SegmentationSession.Open(input, null, model);
        var intensity = ValueParsing.LibraryCall(() => VolumeIntensity.ForPgSam(session.Input, intensityName, window), "--intensity");
        var descriptions = descriptionsPath is not null ? SliceDescriptions.Load(descriptionsPath) : null;
        ConsoleProgress.Run($"PG-SAM on {CaseIds.Of(input)}", progress =>
            session.SegmentAll(sliceAxis, intensity, descriptions, CaseIds.Of(input),
                new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, "slices"))));
        var result = session.ExportLabelMap(outDir);
        if (json) Console.WriteLine(JsonSerializer.Serialize(result, Json));
        else
        {
            Console.WriteLine($"{result.Slices} {result.Axis} slice(s) labelled prompt-free, intensity {result.Intensity}");
            foreach (var c in result.Classes.Where(c => c.Voxels > 0))
                Console.WriteLine($"label {c.Label} {c.Name}: {c.Voxels} voxels, {c.VolumeMm3:F0} mm³");
            foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
        }
        return ExitCodes.Success;
    }

    static (int Axis, int Index) ParseSlice(string text, IReadOnlyList<int> dims)
    {
        var parts = text.Split(':');
        int index = 0;
        if (parts.Length != 2 || !SliceAxis.TryParse(parts[0], out int sliceAxis) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index))
            throw new UsageException($"--slice expects AXIS:INDEX with AXIS axial, coronal or sagittal, got '{text}'");
        if (index >= dims[sliceAxis])
            throw new UsageException($"--slice {text}: the volume has {dims[sliceAxis]} {SliceAxis.Name(sliceAxis)} slices (0..{dims[sliceAxis] - 1})");
        return (sliceAxis, index);
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
}
