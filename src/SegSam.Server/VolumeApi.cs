using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Inference;
using SessionOptions = SegSam.Inference.SessionOptions;

namespace SegSam.Server;

/// <summary>
/// The /api/v1 endpoints. Each parses the request, calls the library's
/// <see cref="SegmentationSession"/> and serialises its answer; the messages are the library's.
/// </summary>
public static class VolumeApi
{
    /// <summary>The server's one scratch folder: uploads, unpacked zips and files written for download.</summary>
    internal static readonly string UploadFolder = Path.Combine(Path.GetTempPath(), "segsam-uploads");

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/info", (ServerOptions options, ModelSet models) => Results.Ok(new
        {
            models = models.All.Select(m => new
            {
                name = m.Name, kind = m.Kind, categories = m.Categories,
                testTimeMirroring = m.SegSam is { } segSam && SegSamPredictor.Mirrors(segSam, options.TestTimeMirroring),
            }),
            limits = new
            {
                maxUploadBytes = options.MaxUploadBytes, cacheBytes = options.CacheBytes, sessionTtlSeconds = options.SessionTtl.TotalSeconds,
                inferenceSlots = options.InferenceSlots, maxQueuedInferences = options.MaxQueuedInferences,
            },
            inference = new { testTimeMirroring = options.TestTimeMirroring },
        }));

        api.MapPost("/volumes", async (HttpRequest request, string? name, string? model, string? pgsamModel, string? modality, string? window,
            ServerOptions options, ModelSet models, VolumeRegistry registry) =>
        {
            string suffix = Upload.SuffixOf(name);
            var (prompted, promptFree) = Models(models, model, pgsamModel);
            var sessionOptions = SessionOptionsOf(options, modality, window);
            string path = await Upload.SaveAsync(request, suffix, options.MaxUploadBytes, UploadFolder, request.HttpContext.RequestAborted).ConfigureAwait(false);
            string? unpacked = null;
            try
            {
                if (suffix == Upload.ZipSuffix)
                {
                    // A zipped DICOM series: its files go flat into a folder of the server's naming, which the library reads as a series.
                    unpacked = Path.Combine(UploadFolder, Guid.NewGuid().ToString("N"));
                    try
                    {
                        SegSam.IO.FlatZip.Extract(path, unpacked, options.MaxUnzippedBytes, options.MaxZipEntries);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new ApiProblem(StatusCodes.Status422UnprocessableEntity, $"{Path.GetFileName(name!)}: {e.Message}");
                    }
                }
                return Open(registry, sessionOptions, options.MaxUnacceptedObjects, prompted, promptFree, unpacked ?? path, Path.GetFileName(name!));
            }
            finally
            {
                File.Delete(path);
                if (unpacked is not null && Directory.Exists(unpacked)) Directory.Delete(unpacked, recursive: true);
            }
        });

        api.MapPost("/volumes/builtin", (string? model, string? pgsamModel, string? modality, string? window, ServerOptions options, ModelSet models, VolumeRegistry registry) =>
        {
            var (prompted, promptFree) = Models(models, model, pgsamModel);
            var sessionOptions = SessionOptionsOf(options, modality, window);
            if (!File.Exists(options.BuiltinVolume))
                throw new ApiProblem(StatusCodes.Status404NotFound, $"the built-in MRI needs Debian's mricron-data package ({options.BuiltinVolume} is missing)");
            return Open(registry, sessionOptions, options.MaxUnacceptedObjects, prompted, promptFree, options.BuiltinVolume, Path.GetFileName(options.BuiltinVolume));
        });

        api.MapDelete("/volumes/{id}", (string id, VolumeRegistry registry, JobRegistry jobs) =>
        {
            registry.Close(id);
            jobs.CancelFor(id);
            return Results.NoContent();
        });

        api.MapGet("/volumes/{id}/slices/{axis}/{index:int}.png", (string id, string axis, int index, string? window, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            int a = Axis(axis);
            CheckIndex(entry.Session, a, index);
            SliceView view;
            if (window is not null) view = entry.Session.Slice(a, index, Intensity.ParseWindow(window));
            else if (entry.Model is null)
                throw new ApiProblem(StatusCodes.Status400BadRequest, $"volume {id} has no SEG-SAM model whose view a slice shows: give ?window=NAME or LEVEL,WIDTH");
            else view = entry.Session.Slice(a, index);
            var pixels = view.Pixels.Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray();
            return Results.File(PixelFile.EncodePng(view.Height, view.Width, 1, pixels), "image/png");
        });

        api.MapPost("/volumes/{id}/prompts", async (string id, PromptRequest body, VolumeRegistry registry, InferenceQueue queue, HttpContext context) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            var session = entry.Session;
            if (entry.Model is null)
                throw new ApiProblem(StatusCodes.Status400BadRequest, $"volume {id} was opened without a SEG-SAM model: prompts need one (load one with --model)");
            var points = (body.Points ?? []).Select(Point).ToList();
            SlicePrediction? previous = null;
            SlicePrompt? prompt = null;
            if (body.Refine is { } refined)
            {
                if (body.Box is not null) throw new ApiProblem(StatusCodes.Status400BadRequest, "a refinement adds points; give a new prompt for another box");
                if (points.Count == 0) throw new ApiProblem(StatusCodes.Status400BadRequest, "give the points that refine the object");
                previous = entry.Answer(refined);
            }
            else
            {
                if (body.Axis is null || body.Index is null) throw new ApiProblem(StatusCodes.Status400BadRequest, "give the slice: axis (axial, coronal or sagittal) and index");
                int a = Axis(body.Axis);
                CheckIndex(session, a, body.Index.Value);
                if (body.Box is null && points.Count == 0) throw new ApiProblem(StatusCodes.Status400BadRequest, "give a box or at least one point");
                prompt = new SlicePrompt(a, body.Index.Value, new SamPrompt { Box = body.Box is null ? null : Box(body.Box), Points = points });
            }
            bool rle = MaskIsRle(body.Mask);
            SlicePrediction answer;
            using (await queue.EnterAsync(context.RequestAborted).ConfigureAwait(false))
                answer = previous is not null ? session.Refine(previous, points, context.RequestAborted) : session.Prompt(prompt!, context.RequestAborted);
            int objectId = entry.Add(TrackedObject.Prompted(answer));
            return Results.Ok(Answer(objectId, answer, session.Categories, rle));
        });

        api.MapPut("/volumes/{id}/objects/{oid:int}", (string id, int oid, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ObjectUpdate? update, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            AcceptedObject kept;
            TrackedObject tracked;
            lock (entry)
            {
                tracked = entry.Object(oid);
                if (entry.Accepted.TryGetValue(oid, out int acceptedId))
                {
                    if (update?.Label is not { } label) throw new ApiProblem(StatusCodes.Status400BadRequest, $"object {oid} is accepted already; give a label to relabel it");
                    kept = entry.Session.Relabel(acceptedId, label);
                }
                else
                {
                    kept = entry.Session.Accept(tracked.Segmented, update?.Label);
                    entry.Accepted[oid] = kept.Id;
                }
            }
            return Results.Ok(new { objectId = oid, label = kept.Label, category = tracked.Segmented.Start.ClassName });
        });

        api.MapDelete("/volumes/{id}/objects/{oid:int}", (string id, int oid, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            lock (entry)
            {
                entry.Object(oid);
                if (entry.Accepted.TryRemove(oid, out int acceptedId)) entry.Session.Remove(acceptedId);
                entry.Objects.TryRemove(oid, out _);
            }
            return Results.NoContent();
        });

        api.MapGet("/volumes/{id}/labels.json", (string id, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            var accepted = entry.Session.Objects.ToDictionary(o => o.Id);
            var objects = entry.Accepted.OrderBy(a => a.Key).Where(a => accepted.ContainsKey(a.Value)).Select(a =>
            {
                var o = accepted[a.Value];
                return new
                {
                    objectId = a.Key, label = o.Label, category = o.Object.Start.ClassName, axis = SliceAxis.Name(o.Object.Axis),
                    firstSlice = o.Object.FirstSlice, lastSlice = o.Object.LastSlice, voxels = o.Object.VoxelCount,
                };
            }).ToList();
            return Results.Ok(new
            {
                categories = entry.Session.Categories.Select((c, i) => new { label = i + 1, name = c }),
                objects,
            });
        });

        api.MapGet("/volumes/{id}/labels.nii.gz", (string id, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            string dir = Path.Combine(UploadFolder, Guid.NewGuid().ToString("N"));
            try
            {
                lease.Entry.Session.ExportObjects(dir);
                return Results.File(File.ReadAllBytes(Path.Combine(dir, "labels.nii.gz")), "application/gzip", "labels.nii.gz");
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });

        // The labels as DICOM objects on the series the volume was opened from (docs/dicom-output.md).
        api.MapGet("/volumes/{id}/labels.seg.dcm", (string id, VolumeRegistry registry) => Dicom(registry, id, ExportFormats.DicomSeg, "labels.seg.dcm"));
        api.MapGet("/volumes/{id}/labels.rtstruct.dcm", (string id, VolumeRegistry registry) => Dicom(registry, id, ExportFormats.RtStruct, "labels.rtstruct.dcm"));
    }

    /// <summary>
    /// One DICOM object of a volume's labels. A volume not opened from DICOM, or without a labelled
    /// voxel, is 409: the request is fine, the volume's state does not allow it. The message names
    /// the volume by its upload name, never the server's temp path.
    /// </summary>
    static IResult Dicom(VolumeRegistry registry, string id, ExportFormats format, string fileName)
    {
        using var lease = registry.Lease(id);
        var entry = lease.Entry;
        try
        {
            return Results.File(entry.Session.EncodeDicom(format, entry.Model ?? entry.PromptFreeModel), "application/dicom", fileName);
        }
        catch (InvalidDataException e)
        {
            string source = entry.Session.Input.Source;
            throw new ApiProblem(StatusCodes.Status409Conflict, source.Length > 0 ? e.Message.Replace(source, entry.Name, StringComparison.Ordinal) : e.Message);
        }
    }

    /// <summary>The SEG-SAM model (for prompts) and PG-SAM model (for segment-all) a new volume is opened with: the named ones, or the first loaded of each kind.</summary>
    internal static (LoadedModel? Prompted, LoadedModel? PromptFree) Models(ModelSet models, string? model, string? pgsamModel)
    {
        var prompted = models.Prompted(model);
        var promptFree = models.PromptFree(pgsamModel);
        if (prompted is null && promptFree is null) throw new ApiProblem(StatusCodes.Status400BadRequest, "the server has no model: start it with --model");
        return (prompted, promptFree);
    }

    /// <summary>The session's options: the cache bound, and how the prompted model sees intensities (?modality=CT|MR, ?window=NAME or LEVEL,WIDTH).</summary>
    internal static SessionOptions SessionOptionsOf(ServerOptions options, string? modality, string? window) => new()
    {
        EmbeddingCacheBytes = options.CacheBytes,
        TestTimeMirroring = options.TestTimeMirroring,
        Modality = modality,
        Window = window is null ? null : Intensity.ParseWindow(window),
    };

    /// <summary>
    /// Opens <paramref name="path"/> as a new volume. Problems with the file are 422, named by
    /// <paramref name="name"/> (never the server's temp path); the library's refusal of the
    /// options (an unknown modality, a window with MR) is 400, so the file is read first, on its own.
    /// </summary>
    internal static IResult Open(VolumeRegistry registry, SessionOptions options, int maxUnaccepted, LoadedModel? prompted, LoadedModel? promptFree, string path, string name,
                                 Uri? pacs = null)
    {
        Volume input;
        try
        {
            input = MedicalImage.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException or ArgumentException or OverflowException
                                       or IndexOutOfRangeException or SegSam.Imaging.Dicom.DicomFormatException)
        {
            throw new ApiProblem(StatusCodes.Status422UnprocessableEntity, e.Message.Replace(path, name, StringComparison.Ordinal));
        }
        var session = new SegmentationSession(input, prompted?.SegSam, promptFree?.PgSam, options, name);
        var entry = registry.Add(id => new VolumeEntry(id, name, prompted?.Name, promptFree?.Name, session, maxUnaccepted) { Pacs = pacs });
        return Results.Created($"volumes/{entry.Id}", new
        {
            id = entry.Id, name, model = prompted?.Name, pgsamModel = promptFree?.Name,
            dims = session.Dims, spacing = session.Spacing, inputDims = session.Input.Dims,
            orientation = Orientation.AxisCodes(session.Input.Affine),
            modality = session.PromptIntensity?.Name,
            slices = SliceAxis.Names.Select((n, a) => new { axis = n, count = session.Dims[a] }),
            categories = session.Categories,
        });
    }

    static bool MaskIsRle(string? mask) => mask switch
    {
        null or "png" => false,
        "rle" => true,
        _ => throw new ApiProblem(StatusCodes.Status400BadRequest, $"mask: \"png\" or \"rle\", got \"{mask}\""),
    };

    static PromptAnswer Answer(int objectId, SlicePrediction answer, IReadOnlyList<string> categories, bool rle)
    {
        var p = answer.Prediction;
        return new PromptAnswer(objectId, SliceAxis.Name(answer.Axis), answer.Index, p.ClassName, p.ClassProbability,
            answer.TopCategories(categories).Select(t => new ClassProbability(t.Category, t.Probability)).ToList(),
            p.Iou, answer.AreaMm2, p.Height, p.Width, rle ? null : MaskEncoding.Png(p.Height, p.Width, p.Mask), rle ? MaskEncoding.Rle(p.Mask) : null);
    }

    internal static int Axis(string name) => SliceAxis.TryParse(name, out int axis) ? axis
        : throw new ApiProblem(StatusCodes.Status400BadRequest, $"axis: axial, coronal or sagittal, got '{name}'");

    static void CheckIndex(SegmentationSession session, int axis, int index)
    {
        if (index < 0 || index >= session.Dims[axis])
            throw new ApiProblem(StatusCodes.Status400BadRequest, $"slice {index}: the volume has {session.Dims[axis]} {SliceAxis.Name(axis)} slices (0..{session.Dims[axis] - 1})");
    }

    static BoxPrompt Box(double[] box) => box.Length == 4 ? new BoxPrompt(box[0], box[1], box[2], box[3])
        : throw new ApiProblem(StatusCodes.Status400BadRequest, $"box: [x0, y0, x1, y1], got {box.Length} numbers");

    static PointPrompt Point(double[] point) => point.Length == 3 && point[2] is 0 or 1 ? new PointPrompt(point[0], point[1], (int)point[2])
        : throw new ApiProblem(StatusCodes.Status400BadRequest, "points: each [x, y, label] with label 1 (object) or 0 (background)");
}
