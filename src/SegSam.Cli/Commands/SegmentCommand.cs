using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Data.DicomWeb;
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
        var image = new Option<string?>("--image") { Description = "Input: NIfTI (.nii/.nii.gz), DICOM series folder, .mha/.mhd, .nrrd, or a 2D .png/.jpg/.npy (or give --dicomweb)" };
        var dicomWeb = new Option<string?>("--dicomweb") { Description = $"Input from a PACS instead of --image: its DICOMweb service root (e.g. http://localhost:8042/dicom-web); credentials from {DicomWebCredentials.TokenVariable}, or {DicomWebCredentials.UserVariable} and {DicomWebCredentials.PasswordVariable}" };
        var study = new Option<string?>("--study") { Description = "With --dicomweb: the Study Instance UID" };
        var series = new Option<string?>("--series") { Description = "With --dicomweb: the Series Instance UID (default: the study's only image series)" };
        var store = new Option<bool>("--store") { Description = "With --dicomweb: store every DICOM object this run wrote to --out (see --out-format) back on the same server (STOW-RS)" };
        var slice = new Option<string?>("--slice") { Description = "AXIS:INDEX of a volume, AXIS = axial|coronal|sagittal (default: the middle axial slice)" };
        var boxes = new Option<string[]>("--box") { Description = "x0,y0,x1,y1 in pixels of the slice as written to slice.png (inclusive corners); each box is one object; repeatable" };
        var points = new Option<string[]>("--point") { Description = "x,y,label on the slice (1 object, 0 background); all points together are one object; repeatable" };
        var propagate = new Option<bool>("--propagate") { Description = "Follow each object through the volume: the mask's box on one slice prompts the next, both ways, until the object ends" };
        var range = new Option<string?>("--range") { Description = "FIRST:LAST slice (inclusive) that --propagate may reach, when you know the object's extent" };
        var model = new Option<string?>("--model") { Description = "A SEG-SAM model (default with --box/--point: the bundled models/segsam-atlas.safetensors), or a PG-SAM model: prompt-free, every slice of the volume labelled (default without prompts: the bundled models/pgsam-atlas-lobes.safetensors)" };
        var output = new Option<string>("--out") { Description = "Output folder (labels.nii.gz, segmentation.json; SEG-SAM also slice.png, overlay.png; DICOM objects with --out-format)", Required = true };
        var modality = new Option<string?>("--modality") { Description = "SEG-SAM: CT or MR: how intensities become 0–255 (default: CT when values below −100 HU exist, else MR)" };
        var windowOption = new Option<string?>("--window") { Description = $"CT window: {string.Join(", ", Intensity.CtWindows.Keys)} or LEVEL,WIDTH (default abdomen; transunet, i.e. HU [−125, 275], for a PG-SAM model)" };
        var axis = new Option<string?>("--axis") { Description = "PG-SAM: the slices to predict, axial (default), coronal or sagittal" };
        var intensity = new Option<string?>("--intensity") { Description = "PG-SAM: ct (HU clipped to [−125, 275] and scaled, the Synapse rule; --window changes the window) or mr (0.5–99.5 percentiles); default: ct when values below −100 HU exist, else mr. Use the rule the model's training data were prepared with" };
        var descriptions = new Option<string?>("--image-descriptions") { Description = "PG-SAM: per-slice descriptions (JSON id → text, or a folder of ID.txt), ids <file name>-<axis>-<index:000>; needed when the model was trained with them" };
        var outFormat = new Option<string>("--out-format") { Description = $"What to write, a comma list: nifti (labels.nii.gz), dicom-seg ({SegmentationSession.DicomSegFileName}), rtstruct ({SegmentationSession.RtStructFileName}); the DICOM objects need a DICOM input (default nifti)", DefaultValueFactory = _ => "nifti" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var precision = PrecisionOption.Create();
        var mirror = new MirrorOption();
        var command = new Command("segment", "Segment and label objects in an image or volume from box/point prompts (SEG-SAM), or every slice prompt-free (PG-SAM).")
        {
            image, dicomWeb, study, series, store, slice, boxes, points, propagate, range, model, output, outFormat, modality, windowOption, axis, intensity, descriptions, precision, mirror.On, mirror.Off, json,
        };
        command.SetAction(parse =>
        {
            string? url = parse.GetValue(dicomWeb);
            if ((url is null) == (parse.GetValue(image) is null)) throw new UsageException("give the input: --image PATH, or --dicomweb URL --study UID");
            if (url is null && (parse.GetValue(study) is not null || parse.GetValue(series) is not null || parse.GetValue(store)))
                throw new UsageException("--study, --series and --store go with --dicomweb");
            if (url is null) return Segment(parse, parse.GetValue(image)!).Code;
            if (parse.GetValue(study) is not { } studyUid) throw new UsageException("--dicomweb needs --study UID (and --series UID when the study has several image series)");

            if (parse.GetValue(store) && (ValueParsing.OutFormats(parse.GetValue(outFormat)!) & (ExportFormats.DicomSeg | ExportFormats.RtStruct)) == 0)
                throw new UsageException("--store sends the run's DICOM objects back to the PACS: add --out-format with dicom-seg and/or rtstruct (e.g. --out-format nifti,dicom-seg)");
            var client = new DicomWebClient(url, DicomWebCredentials.FromEnvironment());
            bool asJson = parse.GetValue(json);
            var scratch = Directory.CreateTempSubdirectory("segsam-dicomweb-");
            try
            {
                DicomWebClient.CheckUid(studyUid, "--study");
                if (parse.GetValue(series) is { } seriesUid) DicomWebClient.CheckUid(seriesUid, "--series");
                // Several image series in the study: the listing is a usage error of --series.
                var chosen = ValueParsing.LibraryCall(() => client.ChooseSeries(studyUid, parse.GetValue(series)), "--series");
                // The folder is named by the series UID: PG-SAM's case id (and description ids) come from the input's name.
                var retrieval = client.RetrieveSeries(studyUid, chosen, Path.Combine(scratch.FullName, chosen.SeriesInstanceUid));
                if (!asJson) Console.WriteLine($"retrieved {retrieval.Files.Count} instance(s), {retrieval.Bytes / 1e6:F1} MB, of series {chosen} from {client.BaseUri}");
                var (code, written) = Segment(parse, retrieval.Folder);
                if (code != ExitCodes.Success || !parse.GetValue(store)) return code;
                var objects = DicomWebClient.Part10Files(written);
                if (objects.Count == 0)
                    throw new UsageException($"--store: this run wrote no DICOM object to store (it wrote {string.Join(", ", written.Select(Path.GetFileName))}); the results above are kept in --out");
                var stored = client.Store(objects);
                if (!asJson) Console.WriteLine($"stored {stored.StoredSopInstanceUids.Count} DICOM object(s) on {client.BaseUri}: {string.Join(", ", objects.Select(Path.GetFileName))}");
                else Console.Error.WriteLine($"segsam: stored {stored.StoredSopInstanceUids.Count} DICOM object(s) on {client.BaseUri}");
                return code;
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        });
        return command;

        // The segmentation of one input (a path); returns the exit code and the files written.
        (int Code, IReadOnlyList<string> Files) Segment(ParseResult parse, string input)
        {
            var prompts = (parse.GetValue(boxes) ?? []).Select(b => new SamPrompt { Box = ValueParsing.Box(b) }).ToList();
            var clicks = (parse.GetValue(points) ?? []).Select(ValueParsing.Point).ToList();
            if (clicks.Count > 0) prompts.Add(new SamPrompt { Points = clicks });
            // No model and no prompt: the bundled prompt-free model labels the whole volume.
            string modelPath = RepoPaths.Resolve(parse.GetValue(model) ?? (prompts.Count == 0 ? BundledModel.PgSamPath : BundledModel.Path));
            if (!File.Exists(modelPath)) throw new FileNotFoundException($"model not found: {modelPath}", modelPath);
            var window = parse.GetValue(windowOption) is { } w ? ValueParsing.Window(w) : ((double, double)?)null;
            var encoderPrecision = PrecisionOption.Value(parse.GetValue(precision));
            var request = new SegmentationRequest(input, parse.GetValue(output)!)
            {
                Prompts = prompts,
                Propagate = parse.GetValue(propagate),
                TestTimeMirroring = mirror.Value(parse),
                Modality = parse.GetValue(modality),
                Window = window,
                Axis = parse.GetValue(axis),
                Intensity = parse.GetValue(intensity),
                DescriptionsPath = parse.GetValue(descriptions),
                Formats = ValueParsing.OutFormats(parse.GetValue(outFormat)!),
                ModelName = Path.GetFileNameWithoutExtension(modelPath),
            };
            if (PgSamModelCheckpoint.IsPgSamModel(modelPath))
            {
                if (prompts.Count > 0)
                    throw new UsageException("a PG-SAM model is prompt-free: it labels every slice with all its classes; drop --box/--point (prompts are for SEG-SAM models)");
                if (parse.GetValue(slice) is not null || parse.GetValue(propagate) || parse.GetValue(range) is not null)
                    throw new UsageException("--slice, --propagate and --range apply to SEG-SAM models; a PG-SAM model predicts every slice (choose their direction with --axis)");
                if (parse.GetValue(modality) is not null)
                    throw new UsageException("--modality applies to SEG-SAM models; with a PG-SAM model give --intensity ct|mr");
                if (mirror.Value(parse) == true)
                    throw new UsageException(MirrorOption.PgSamRefusal);
                using var pgsam = PgSamModelCheckpoint.Load(modelPath, encoderPrecision);
                var labelled = ConsoleProgress.Run($"PG-SAM on {CaseIds.Of(request.Input)}", progress =>
                    Run(() => SegmentationRun.Execute(request, null, pgsam, new SyncProgress<(int Done, int Total)>(p => progress(p.Done, p.Total, "slices")))));
                Print(labelled.LabelMap!, parse.GetValue(json));
                return (ExitCodes.Success, labelled.Files);
            }
            if (parse.GetValue(axis) is not null || parse.GetValue(intensity) is not null || parse.GetValue(descriptions) is not null)
                throw new UsageException("--axis, --intensity and --image-descriptions apply to PG-SAM models only");
            if (prompts.Count == 0) throw new UsageException("give at least one --box or --point");
            request = request with { Slice = parse.GetValue(slice) is { } spec ? ParseSlice(spec) : null, Range = ParseRange(parse.GetValue(range)) };

            using var segsam = SegSamCheckpoint.Load(modelPath, encoderPrecision);
            var result = Run(() => SegmentationRun.Execute(request, segsam, null)).Objects!;
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, Json));
            else
            {
                foreach (var o in result.Objects)
                    Console.WriteLine($"object {o.Index}: {o.Category ?? "(binary)"}{(o.ClassProbability is { } p ? $" p={p:F2}" : "")}, predicted IoU {o.PredictedIou:F2}, " +
                        $"{o.AreaMm2:F1} mm² on slice {o.Slice}{(o.VolumeMm3 is { } v ? $", {v:F0} mm³ over slices {o.FirstSlice}–{o.LastSlice}" : "")}");
                foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
            }
            return (ExitCodes.Success, result.Files);
        }
    }

    /// <summary>The request's property each library argument error names → this command's option.</summary>
    static readonly Dictionary<string, string> Options = new()
    {
        ["prompts"] = "--box/--point", ["box"] = "--box", ["points"] = "--point", ["slice"] = "--slice", ["propagate"] = "--propagate",
        ["range"] = "--range", ["modality"] = "--modality/--window", ["axis"] = "--axis", ["intensity"] = "--intensity", ["outputDir"] = "--out",
    };

    static SegmentationOutcome Run(Func<SegmentationOutcome> call)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e) when (e.ParamName is { } name && Options.TryGetValue(name, out var option))
        {
            throw new UsageException($"{option}: {e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)}");
        }
    }

    static void Print(LabelMapExport result, bool json)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(result, Json));
        else
        {
            Console.WriteLine($"{result.Slices} {result.Axis} slice(s) labelled prompt-free, intensity {result.Intensity}");
            foreach (var c in result.Classes.Where(c => c.Voxels > 0))
                Console.WriteLine($"label {c.Label} {c.Name}: {c.Voxels} voxels, {c.VolumeMm3:F0} mm³");
            foreach (var f in result.Files) Console.WriteLine($"wrote {f}");
        }
    }

    /// <summary>AXIS:INDEX; whether the volume has that slice is the library's check.</summary>
    static (int Axis, int Index) ParseSlice(string text)
    {
        var parts = text.Split(':');
        int index = 0;
        if (parts.Length != 2 || !SliceAxis.TryParse(parts[0], out int sliceAxis) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index))
            throw new UsageException($"--slice expects AXIS:INDEX with AXIS axial, coronal or sagittal, got '{text}'");
        return (sliceAxis, index);
    }

    /// <summary>FIRST:LAST; whether it fits the volume and holds the prompted slice is the library's check.</summary>
    static (int First, int Last)? ParseRange(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int first) || !int.TryParse(parts[1], out int last))
            throw new UsageException($"--range expects FIRST:LAST slice numbers, got '{text}'");
        return (first, last);
    }
}
