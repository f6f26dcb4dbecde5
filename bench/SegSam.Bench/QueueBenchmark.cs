using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SegSam.Batch;
using SegSam.IO;
using SegSam.Worker;

namespace SegSam.Bench;

/// <summary>
/// Batch segmentation through RabbitMQ against plain CLI runs, on this machine: a private broker
/// (<see cref="PrivateRabbitNode"/>), `segsam worker` processes (the built CLI), and the same job
/// as `segsam segment --image IMAGE --slice axial:90 --box 94,99,107,114 --propagate` (the bundled
/// model, the built-in MRI, the left thalamus followed through the volume). Measures, in order:
/// N sequential `segment` processes (each starts .NET, loads the model and the volume); N jobs on 1
/// warm worker; N jobs on 2 warm workers. Volumes per minute count from the first publish to the
/// last result; the queue's own cost per job is the wall time per job minus the job's time inside
/// the worker. The machine's load average is recorded before and after (other work on a shared
/// machine slows every row).
/// </summary>
public static class QueueBenchmark
{
    public static int Run(string[] args)
    {
        int jobs = CoreBenchmark.Arg(args, "--jobs", 8);
        string model = Path.GetFullPath(CoreBenchmark.ArgString(args, "--model", "models/segsam-atlas.safetensors")!);
        string image = CoreBenchmark.ArgString(args, "--image", Path.Combine(SegSam.Data.AtlasDataset.DefaultTemplates, "ch2.nii.gz"))!;
        string cli = Path.GetFullPath(CoreBenchmark.ArgString(args, "--cli", "src/SegSam.Cli/bin/Release/net10.0/linux-x64/SegSam.Cli.dll")!);
        string output = CoreBenchmark.ArgString(args, "--out", "bench/results/queue.json")!;
        string[] prompt = ["--slice", "axial:90", "--box", "94,99,107,114", "--propagate"];
        string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        string dir = Directory.CreateTempSubdirectory("segsam-queue-bench-").FullName;
        try
        {
            string images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
            for (int i = 0; i < jobs; i++) File.Copy(image, Path.Combine(images, $"vol{i:00}.nii.gz"));
            Console.WriteLine($"queue benchmark: {jobs} volume(s) of {Path.GetFileName(image)}, {Path.GetFileName(model)}, {Environment.ProcessorCount} CPU(s), load {loadBefore}");

            // 1. Plain CLI: one process per volume, as a shell loop would run them.
            var cliRuns = new List<double>();
            for (int i = 0; i < jobs; i++)
            {
                var clock = Stopwatch.StartNew();
                var run = Cli(cli, ["segment", "--model", model, "--image", Path.Combine(images, $"vol{i:00}.nii.gz"), "--out", Path.Combine(dir, "cli", $"{i}"), .. prompt]);
                if (run.Code != 0) throw new InvalidOperationException($"segment failed: {run.Output}");
                cliRuns.Add(clock.Elapsed.TotalMilliseconds);
            }
            double cliPerVolume = cliRuns.Average();
            Console.WriteLine($"plain CLI: {cliPerVolume / 1000:F2} s per volume ({60_000 / cliPerVolume:F1} volumes/min)");

            using var broker = new PrivateRabbitNode();
            var rows = new List<object>();
            foreach (int workers in new[] { 1, 2 })
            {
                string queue = $"bench{workers}.jobs";
                var processes = Enumerable.Range(0, workers).Select(_ => StartWorker(cli, broker.Url, queue, model)).ToList();
                try
                {
                    foreach (var p in processes) WaitReady(p);
                    var topology = new QueueTopology(queue, queue + ".results");
                    var template = new SegmentationJob
                    {
                        JobId = "template", Input = images, Task = SegmentationJob.PromptedTask, Out = Path.Combine(dir, $"warm{workers}"),
                        Prompts = new JobPrompts { Slice = "axial:90", Boxes = [[94, 99, 107, 114]], Propagate = true },
                    };
                    Directory.CreateDirectory(template.Out);
                    // Warm-up: one job per worker loads the model there (timed apart as the cold start).
                    var warm = JobBatch.FromFolder(images, template).Take(workers).ToList();
                    var clock = Stopwatch.StartNew();
                    var warmed = JobSubmitter.SubmitAsync(warm, broker.Url, topology, true, null, Console.Error, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
                    double coldMs = clock.Elapsed.TotalMilliseconds;
                    if (warmed.Done != warm.Count) throw new InvalidOperationException($"warm-up jobs did not finish: {JsonSerializer.Serialize(warmed.Results)}");
                    string outRoot = Directory.CreateDirectory(Path.Combine(dir, $"out{workers}")).FullName;
                    var batch = JobBatch.FromFolder(images, template with { Out = outRoot });
                    clock.Restart();
                    var summary = JobSubmitter.SubmitAsync(batch, broker.Url, topology, true, null, Console.Error, TimeSpan.FromMinutes(30)).GetAwaiter().GetResult();
                    double wallMs = clock.Elapsed.TotalMilliseconds;
                    if (summary.Done != batch.Count) throw new InvalidOperationException($"{summary.Done} of {batch.Count} jobs done");
                    double inWorker = summary.Results.Values.Average(r => r.Timings!.TotalMs);
                    double perJob = wallMs / batch.Count;
                    // With one worker jobs run one after another: wall per job − time inside the worker is the queue's share.
                    double queueShare = workers == 1 ? perJob - inWorker : double.NaN;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{workers} worker(s): {60_000 * batch.Count / wallMs:F1} volumes/min, {perJob / 1000:F2} s per volume, {inWorker / 1000:F2} s of it inside a worker" +
                        $"{(workers == 1 ? $", queue overhead {queueShare:F0} ms per job" : "")} (first job(s) with model load {coldMs / 1000:F2} s)"));
                    rows.Add(new
                    {
                        workers, jobs = batch.Count, wall_s = wallMs / 1000, volumes_per_min = 60_000 * batch.Count / wallMs, seconds_per_volume = perJob / 1000,
                        mean_job_in_worker_s = inWorker / 1000, queue_overhead_ms_per_job = workers == 1 ? queueShare : (double?)null, warmup_s = coldMs / 1000,
                    });
                }
                finally
                {
                    foreach (var p in processes)
                    {
                        if (!p.HasExited) p.Kill(entireProcessTree: true);
                        p.Dispose();
                    }
                }
            }
            string loadAfter = File.ReadAllText("/proc/loadavg").Trim();
            var result = new
            {
                command = "dotnet run -c Release --project bench/SegSam.Bench -- --queue " + string.Join(' ', args.Where(a => a != "--queue")),
                processors = Environment.ProcessorCount, load_before = loadBefore, load_after = loadAfter, model = Path.GetFileName(model), image,
                job = "segment " + string.Join(' ', prompt), plain_cli = new { runs = cliRuns.Count, seconds_per_volume = cliPerVolume / 1000, volumes_per_min = 60_000 / cliPerVolume },
                queue = rows, date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            };
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}; load {loadBefore} → {loadAfter}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    static Process StartWorker(string cli, Uri broker, string queue, string model)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "worker", "--broker", broker.ToString(), "--queue", queue, "--results", queue + ".results", "--model", model }) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start a worker");
    }

    static void WaitReady(Process worker)
    {
        while (worker.StandardOutput.ReadLine() is { } line)
            if (line.Contains(" ready: ", StringComparison.Ordinal))
            {
                // Keep draining, so that a full pipe never blocks the worker.
                _ = worker.StandardOutput.ReadToEndAsync();
                _ = worker.StandardError.ReadToEndAsync();
                return;
            }
        throw new InvalidOperationException($"a worker exited: {worker.StandardError.ReadToEnd()}");
    }

    static (int Code, string Output) Cli(string cli, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
