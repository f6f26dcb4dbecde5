using System.CommandLine;
using SegSam.Batch;
using SegSam.Worker;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam submit`: one job per volume of a folder onto the queue (<see cref="JobBatch"/>,
/// <see cref="JobSubmitter"/>); with --wait, a progress bar as results arrive and a summary.
/// Prompted jobs take the same --box/--point/--slice for every volume, or a --prompts file per volume.
/// </summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var broker = BrokerOptions.Broker();
        var queue = BrokerOptions.Queue();
        var results = BrokerOptions.Results();
        var images = new Option<string?>("--images") { Description = "A folder of volumes (NIfTI, MetaImage, NRRD files; DICOM series as sub-folders) on storage the workers share (or give --dicomweb)" };
        var dicomWeb = new Option<string?>("--dicomweb") { Description = "Instead of --images: one job for a series on this DICOMweb service root (the workers must allow it: worker --dicomweb URL)" };
        var study = new Option<string?>("--study") { Description = "With --dicomweb: the Study Instance UID" };
        var series = new Option<string?>("--series") { Description = "With --dicomweb: the Series Instance UID (default: the study's only image series)" };
        var store = new Option<bool>("--store") { Description = "With --dicomweb: store the job's DICOM objects (see --out-format) back on the same server" };
        var outFormat = new Option<string?>("--out-format") { Description = "What each job writes, a comma list: nifti, dicom-seg, rtstruct (default nifti; DICOM objects need a DICOM input)" };
        var task = new Option<string>("--task") { Description = "auto: PG-SAM, every slice prompt-free (workers need a PG-SAM --model); prompted: SEG-SAM with the prompts below", Required = true };
        var output = new Option<string>("--out") { Description = "Output root on shared storage; each job writes OUT/JOB_ID/ (JOB_ID: the volume's name without extension; with --dicomweb the series UID, or the study UID without --series)", Required = true };
        var wait = new Option<bool>("--wait") { Description = "Wait for the results, with a progress bar, and print a summary (done / failed / dead-lettered)" };
        var timeout = new Option<double?>("--timeout") { Description = "With --wait: give up waiting after this many seconds (the jobs stay queued)" };
        var model = new Option<string?>("--model") { Description = "The file name of one of the workers' models to use (default: their first of the task's kind)" };
        var boxes = new Option<string[]>("--box") { Description = "prompted: x0,y0,x1,y1 on the slice, the same for every volume; one object each; repeatable" };
        var points = new Option<string[]>("--point") { Description = "prompted: x,y,label on the slice, the same for every volume; together one object; repeatable" };
        var slice = new Option<string?>("--slice") { Description = "prompted: AXIS:INDEX of the prompted slice (default the middle axial slice)" };
        var propagate = new Option<bool>("--propagate") { Description = "prompted: follow each object through the volume" };
        var prompts = new Option<string?>("--prompts") { Description = "prompted: a JSON file, volume file name → {\"slice\": \"axial:12\", \"boxes\": [[x0,y0,x1,y1]], \"points\": [[x,y,1]], \"propagate\": true, \"range\": [a,b], \"mirror\": true}" };
        var mirror = new MirrorOption();
        var axis = new Option<string?>("--axis") { Description = "auto: slice direction, axial (default), coronal or sagittal" };
        var intensity = new Option<string?>("--intensity") { Description = "auto: ct or mr (default: guessed from the values)" };
        var window = new Option<string?>("--window") { Description = "A CT window: a name or LEVEL,WIDTH" };
        var modality = new Option<string?>("--modality") { Description = "prompted: CT or MR (default: guessed from the values)" };
        var command = new Command("submit", "Queue one segmentation job per volume of a folder for `segsam worker`s (docs/scale-out.md).")
        {
            broker, queue, results, images, dicomWeb, study, series, store, outFormat, task, output, wait, timeout, model, boxes, points, slice, propagate, mirror.On, mirror.Off, prompts, axis, intensity, window, modality,
        };
        command.SetAction(parse =>
        {
            var uri = BrokerOptions.Parse(parse.GetValue(broker)!);
            string kind = parse.GetValue(task)!;
            if (kind is not (SegmentationJob.AutoTask or SegmentationJob.PromptedTask)) throw new UsageException($"--task expects auto or prompted, got '{kind}'");
            var boxList = parse.GetValue(boxes) ?? [];
            var pointList = parse.GetValue(points) ?? [];
            bool shared = boxList.Length + pointList.Length > 0;
            string? promptsFile = parse.GetValue(prompts);
            if (kind == SegmentationJob.AutoTask && (shared || promptsFile is not null || parse.GetValue(slice) is not null || parse.GetValue(propagate) || mirror.Value(parse) is not null || parse.GetValue(modality) is not null))
                throw new UsageException("--task auto is prompt-free: drop --box/--point/--slice/--propagate/--mirror/--no-mirror/--prompts/--modality");
            if (kind == SegmentationJob.PromptedTask && shared == (promptsFile is not null))
                throw new UsageException("--task prompted needs prompts: --box/--point (the same for every volume) or --prompts FILE, not both");
            if (kind == SegmentationJob.PromptedTask && (parse.GetValue(axis) is not null || parse.GetValue(intensity) is not null))
                throw new UsageException("--axis and --intensity apply to --task auto");
            if (parse.GetValue(window) is { } w) ValueParsing.Window(w);
            string? url = parse.GetValue(dicomWeb);
            if ((url is null) == (parse.GetValue(images) is null)) throw new UsageException("give the input: --images FOLDER, or --dicomweb URL --study UID");
            if (url is null && (parse.GetValue(study) is not null || parse.GetValue(series) is not null || parse.GetValue(store)))
                throw new UsageException("--study, --series and --store go with --dicomweb");
            if (url is not null && parse.GetValue(study) is null) throw new UsageException("--dicomweb needs --study UID");
            if (url is not null && promptsFile is not null) throw new UsageException("--prompts maps volume files to prompts; with --dicomweb give --box/--point");
            string[]? formats = null;
            if (parse.GetValue(outFormat) is { } names)
            {
                ValueParsing.OutFormats(names); // a usage error for an unknown name, before anything is queued
                formats = [.. names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            }
            JobPrompts? common = shared || parse.GetValue(slice) is not null || parse.GetValue(propagate) || mirror.Value(parse) is not null ? new JobPrompts
            {
                Boxes = [.. boxList.Select(b => ValueParsing.Numbers(b, 4, "--box", "x0,y0,x1,y1"))],
                Points = [.. pointList.Select(p => { var v = ValueParsing.Point(p); return new[] { v.X, v.Y, v.Label }; })],
                Slice = parse.GetValue(slice),
                Propagate = parse.GetValue(propagate),
                Mirror = mirror.Value(parse),
            } : null;
            if (common is not null && promptsFile is not null) throw new UsageException("--slice/--propagate/--mirror/--no-mirror go inside the --prompts file's entries");
            string outRoot = Path.GetFullPath(parse.GetValue(output)!);
            var template = new SegmentationJob
            {
                JobId = "template",
                Input = outRoot,
                Task = kind,
                Out = outRoot,
                Model = parse.GetValue(model),
                Prompts = kind == SegmentationJob.PromptedTask ? common : null, // with --prompts, each volume's entry
                Axis = parse.GetValue(axis),
                Intensity = parse.GetValue(intensity),
                Window = parse.GetValue(window),
                Modality = parse.GetValue(modality),
                Formats = formats,
            };
            IReadOnlyList<SegmentationJob> jobs;
            if (url is null)
            {
                jobs = JobBatch.FromFolder(parse.GetValue(images)!, template, promptsFile is null ? null : JobBatch.ReadPrompts(promptsFile));
            }
            else
            {
                var pacs = new JobDicomWebInput { Url = url, Study = parse.GetValue(study)!, Series = parse.GetValue(series) };
                var job = template with { JobId = pacs.Series ?? pacs.Study, Input = null, DicomWeb = pacs, Store = parse.GetValue(store) };
                job.Check();
                jobs = [job];
            }
            Directory.CreateDirectory(outRoot);
            var topology = new QueueTopology(parse.GetValue(queue)!, parse.GetValue(results)!);
            var log = TextWriter.Synchronized(Console.Error);
            bool waiting = parse.GetValue(wait);
            TimeSpan? limit = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            var summary = waiting
                ? ConsoleProgress.Run($"{jobs.Count} job(s)", progress =>
                {
                    progress(0, jobs.Count, "queued");
                    return JobSubmitter.SubmitAsync(jobs, uri, topology, true, (_, done, total) => progress(done, total, "finished"), log, limit).GetAwaiter().GetResult();
                })
                : JobSubmitter.SubmitAsync(jobs, uri, topology, false, null, log).GetAwaiter().GetResult();
            Console.WriteLine($"submitted {jobs.Count} job(s) to {topology.Jobs}; outputs under {outRoot}/JOB_ID/");
            if (!waiting) return ExitCodes.Success;
            Console.WriteLine($"done {summary.Done}, failed {summary.Failed}, dead-lettered {summary.DeadLettered}{(summary.Pending > 0 ? $", still pending {summary.Pending}" : "")}");
            foreach (var r in summary.Results.Values.Where(r => r.Status != JobResult.Done).OrderBy(r => r.JobId, StringComparer.Ordinal))
                Console.WriteLine($"{r.Status} {r.JobId}: {r.Error}");
            return summary.Done == jobs.Count ? ExitCodes.Success : ExitCodes.InputError;
        });
        return command;
    }
}
