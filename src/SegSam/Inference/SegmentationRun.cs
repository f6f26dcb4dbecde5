using SegSam.Data;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Text;

namespace SegSam.Inference;

/// <summary>
/// Runs one <see cref="SegmentationRequest"/> through a <see cref="SegmentationSession"/> and exports
/// it: the single call behind `segsam segment` and a batch worker's job, so both write the same bytes
/// for the same input. With a PG-SAM model every slice is labelled prompt-free
/// (<see cref="SegmentationSession.SegmentAll"/> then <see cref="SegmentationSession.ExportLabelMap"/>);
/// with a SEG-SAM model each prompt becomes one object (<see cref="SegmentationSession.ExportObjects"/>).
/// A request that does not fit the input or model is an <see cref="ArgumentException"/> whose
/// ParamName is the request's property in camelCase (e.g. "slice", "intensity"), so a front end can
/// name its own option.
/// </summary>
public static class SegmentationRun
{
    public static SegmentationOutcome Execute(SegmentationRequest request, SegSamModel? prompted, PgSamModel? promptFree,
                                              IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((prompted is null) == (promptFree is null)) throw new ArgumentException("give exactly one model: a SEG-SAM model (prompted) or a PG-SAM model (prompt-free)");
        CheckOutputDir(request.OutputDir);
        return promptFree is not null ? LabelAll(request, promptFree, progress, cancel) : PromptObjects(request, prompted!, progress, cancel);
    }

    /// <summary>
    /// Refuses, before any model work, an output folder that can never be written: empty, an existing
    /// file, or inside one. (Nothing is created here: a run that fails writes nothing.)
    /// </summary>
    static void CheckOutputDir(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new ArgumentException("give an output folder", "outputDir");
        if (File.Exists(dir)) throw new ArgumentException($"{dir} is a file, not a folder", "outputDir");
        for (var parent = Path.GetDirectoryName(Path.GetFullPath(dir)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (Directory.Exists(parent)) return;
            if (File.Exists(parent)) throw new ArgumentException($"{dir} cannot be made: {parent} is a file", "outputDir");
        }
    }

    static SegmentationOutcome LabelAll(SegmentationRequest request, PgSamModel model, IProgress<(int Done, int Total)>? progress, CancellationToken cancel)
    {
        if (request.Prompts.Count > 0) throw new ArgumentException("a PG-SAM model is prompt-free: it labels every slice with all its classes; prompts are for SEG-SAM models", "prompts");
        if (request.Slice is not null || request.Propagate || request.Range is not null)
            throw new ArgumentException("a slice, propagation and a range apply to SEG-SAM models; a PG-SAM model predicts every slice (choose their direction with the axis)", "slice");
        if (request.Modality is not null) throw new ArgumentException("the modality applies to SEG-SAM models; give a PG-SAM model the intensity rule ct or mr", "modality");
        if (request.TestTimeMirroring == true) throw new ArgumentException("test-time mirroring applies to SEG-SAM models (it averages a prompt's answers on the slice and its mirror)", "testTimeMirroring");
        int? axis = request.Axis is null ? null : Named(() => SliceAxis.Parse(request.Axis), "axis");
        using var session = SegmentationSession.Open(request.Input, null, model);
        session.CheckExport(request.Formats);
        var intensity = Named(() => VolumeIntensity.ForPgSam(session.Input, request.Intensity, request.Window), "intensity");
        var descriptions = request.DescriptionsPath is not null ? SliceDescriptions.Load(request.DescriptionsPath) : null;
        string caseId = CaseIds.Of(request.Input);
        session.SegmentAll(axis, intensity, descriptions, caseId, progress, cancel);
        cancel.ThrowIfCancellationRequested();
        return new SegmentationOutcome(session.ExportLabelMap(request.OutputDir, request.Formats, request.ModelName), null);
    }

    static SegmentationOutcome PromptObjects(SegmentationRequest request, SegSamModel model, IProgress<(int Done, int Total)>? progress, CancellationToken cancel)
    {
        if (request.Axis is not null || request.Intensity is not null || request.DescriptionsPath is not null)
            throw new ArgumentException("the axis, intensity rule and image descriptions apply to PG-SAM models only", "axis");
        if (request.Prompts.Count == 0) throw new ArgumentException("give at least one box or point prompt", "prompts");
        using var session = Named(() => SegmentationSession.Open(request.Input, model, options: new SessionOptions { Modality = request.Modality, Window = request.Window, TestTimeMirroring = request.TestTimeMirroring }), "modality");
        session.CheckExport(request.Formats);
        var (sliceAxis, index) = session.DefaultSlice;
        if (request.Slice is { } slice)
        {
            if (session.IsFlat) throw new ArgumentException("a slice applies to volumes; the input is a 2D image", "slice");
            if (slice.Axis is < 0 or > 2) throw new ArgumentException($"axis {slice.Axis} is not 0, 1 or 2", "slice");
            if (slice.Index < 0 || slice.Index >= session.Dims[slice.Axis])
                throw new ArgumentException($"{SliceAxis.Name(slice.Axis)}:{slice.Index}: the volume has {session.Dims[slice.Axis]} {SliceAxis.Name(slice.Axis)} slices (0..{session.Dims[slice.Axis] - 1})", "slice");
            (sliceAxis, index) = slice;
        }
        if (request.Propagate && session.Dims[sliceAxis] == 1) throw new ArgumentException("propagation needs a volume; the input has a single slice", "propagate");
        if (request.Range is { } range)
        {
            if (!request.Propagate) throw new ArgumentException("a range bounds propagation; ask for both", "range");
            int count = session.Dims[sliceAxis];
            if (range.First > range.Last || range.First < 0 || range.Last >= count)
                throw new ArgumentException($"{range.First}:{range.Last}: needs 0 <= FIRST <= LAST <= {count - 1}", "range");
            if (index < range.First || index > range.Last)
                throw new ArgumentException($"{range.First}:{range.Last} does not contain the prompted slice {index}", "range");
        }
        foreach (var prompt in request.Prompts)
        {
            cancel.ThrowIfCancellationRequested();
            var answer = Named(() => session.Prompt(new SlicePrompt(sliceAxis, index, prompt), cancel), prompt.Box is null ? "points" : "box");
            session.Accept(request.Propagate ? session.Propagate(answer, request.Range, progress, cancel) : SegmentedObject.OnOneSlice(sliceAxis, index, answer.Prediction));
        }
        return new SegmentationOutcome(null, session.ExportObjects(request.OutputDir, new ExportView(sliceAxis, index, request.Prompts), request.Formats, request.ModelName));
    }

    /// <summary>A library argument error renamed to the request's property (the message without " (Parameter 'x')").</summary>
    static T Named<T>(Func<T> call, string property)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e) when (e.ParamName != property)
        {
            string message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
            throw new ArgumentException(message, property, e);
        }
    }
}
