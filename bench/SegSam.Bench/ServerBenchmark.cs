using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Inference;
using SegSam.IO;
using SegSam.Server;
using SessionOptions = SegSam.Inference.SessionOptions;

namespace SegSam.Bench;

/// <summary>
/// `segsam serve` against the library in one run: the server (<see cref="ServerHost.Build"/>, real
/// Kestrel on a free loopback port, the bundled model) and a <see cref="SegmentationSession"/> of
/// the same model, both on the built-in MRI. Times the first prompt on a new slice (encoder +
/// decoder), box prompts on an encoded slice (in process against the HTTP round trip, in
/// alternating blocks so that the machine's noise hits both), concurrent clients (throughput,
/// statuses, RSS) and, with <c>--long N</c>, RSS, managed heap and live tensors every 1,000 prompts.
/// Clients are threads sending synchronously, so the thread pool is left to the server as under
/// `segsam serve`. Boxes are jittered by a few pixels so that no answer is the same.
/// </summary>
public static class ServerBenchmark
{
    const string Axial = "axial";

    /// <summary>Thalamus_L on axial slice 90 of ch2 (`scripts/propagation_dice.py box Thalamus_L 90`); the thalamus is on the slices down to 80 too.</summary>
    static readonly double[] ThalamusBox = [94, 99, 107, 114];

    public static int Run(string[] args)
    {
        int threads = CoreBenchmark.Arg(args, "--threads", Environment.ProcessorCount);
        string modelPath = CoreBenchmark.ArgString(args, "--model", "models/segsam-atlas.safetensors")!;
        int prompts = CoreBenchmark.Arg(args, "--prompts", 200);
        int rounds = Math.Max(1, CoreBenchmark.Arg(args, "--rounds", Math.Max(1, prompts / 10))); // blocks of 10 by default
        int clients = CoreBenchmark.Arg(args, "--clients", 8);
        int perClient = CoreBenchmark.Arg(args, "--per-client", 50);
        int longRun = CoreBenchmark.Arg(args, "--long", 0);
        int every = CoreBenchmark.Arg(args, "--long-every", 1000);
        int jitter = CoreBenchmark.Arg(args, "--jitter", 3);
        int cacheMb = CoreBenchmark.Arg(args, "--cache-mb", 256);
        int newSlices = Math.Max(1, CoreBenchmark.Arg(args, "--new-slices", 24));
        bool longDelete = args.Contains("--long-delete");
        bool serveLogging = args.Contains("--serve-logging");
        string output = CoreBenchmark.ArgString(args, "--out", "bench/results/server.json")!;
        TorchRuntime.EnsureInitialized();
        TorchRuntime.SetThreads(threads);
        var boxes = new Jitter(ThalamusBox, jitter, seed: 1);

        // Request logs at Information (the default without an appsettings file, so also under
        // `segsam serve`) would flood this console; --serve-logging keeps them to measure their cost.
        var options = new ServerOptions { Models = [modelPath], Port = 0, CacheBytes = (long)cacheMb << 20 };
        var clock = Stopwatch.StartNew();
        using var app = ServerHost.Build(options, serveLogging ? null : b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        app.StartAsync().GetAwaiter().GetResult();
        double startMs = clock.Elapsed.TotalMilliseconds;
        using var http = new Client(app.Urls.First());
        clock.Restart();
        var (volumeId, dims) = http.OpenBuiltin();
        double openMs = clock.Elapsed.TotalMilliseconds;
        int mid = dims[2] / 2;
        int[] slices = [.. Enumerable.Range(0, newSlices).Select(k => mid - k)];
        Console.WriteLine($"SegSam server benchmark: {threads} thread(s), {Path.GetFileName(modelPath)}, {Path.GetFileName(options.BuiltinVolume)} {string.Join('×', dims)}, "
            + $"box [{string.Join(", ", ThalamusBox)}] ±{jitter} px on axial {string.Join(", ", slices)}, server on {app.Urls.First()} (start {startMs:F0} ms, open {openMs:F0} ms)");

        using var model = SegSamCheckpoint.Load(modelPath);
        using var session = SegmentationSession.Open(options.BuiltinVolume, model, options: new SessionOptions { EmbeddingCacheBytes = options.CacheBytes });
        SlicePrediction Local(int index, double[] box) =>
            session.Prompt(new SlicePrompt(SliceAxis.Axial, index, new SamPrompt { Box = new BoxPrompt(box[0], box[1], box[2], box[3]) }));

        // First prompt on each slice: the encoder runs; the first of all also warms libtorch (in
        // process) or the HTTP stack up. Three sides, each with its own cache: the session above on
        // this thread, a second session called from a thread-pool thread (as the server calls its
        // session), and the server; which goes first rotates from slice to slice.
        using var poolSession = SegmentationSession.Open(options.BuiltinVolume, model, options: new SessionOptions { EmbeddingCacheBytes = options.CacheBytes });
        var first = new[] { new List<double>(), new List<double>(), new List<double>() };
        foreach (var (index, k) in slices.Select((index, k) => (index, k)))
        {
            var prompt = new SlicePrompt(SliceAxis.Axial, index, new SamPrompt { Box = new BoxPrompt(ThalamusBox[0], ThalamusBox[1], ThalamusBox[2], ThalamusBox[3]) });
            Action[] sides =
            [
                () => Local(index, ThalamusBox),
                () => Task.Run(() => poolSession.Prompt(prompt)).GetAwaiter().GetResult(),
                () => http.Prompt(volumeId, index, ThalamusBox),
            ];
            for (int j = 0; j < sides.Length; j++)
            {
                int side = (j + k) % sides.Length;
                first[side].Add(Time(sides[side]));
            }
        }
        var (firstLocal, firstPool, firstHttp) = (first[0], first[1], first[2]);
        long sliceBytes = session.CacheUse.Bytes / Math.Max(1, session.CacheUse.Slices);
        Console.WriteLine($"first prompt on a new slice (encoder + decoder), in process / on a pool thread / HTTP: cold {firstLocal[0]:F1} / {firstPool[0]:F1} / {firstHttp[0]:F1} ms; "
            + $"one encoded slice {sliceBytes / 1024.0:F0} KiB");
        var firstWarm = (InProcess: Latency.Of([.. firstLocal.Skip(1)]), Pool: Latency.Of([.. firstPool.Skip(1)]), Http: Latency.Of([.. firstHttp.Skip(1)]));
        if (slices.Length > 1)
            Console.WriteLine($"  then, p50 of {slices.Length - 1}: in process {firstWarm.InProcess.P50:F1} ms, on a pool thread {firstWarm.Pool.P50:F1} ms, "
                + $"HTTP {firstWarm.Http.P50:F1} ms ({firstWarm.Http.P50 / firstWarm.InProcess.P50:F2}×)");

        // Prompts on an encoded slice, in alternating blocks; the same boxes on both sides.
        for (int i = 0; i < 10; i++)
        {
            Local(mid, boxes.Next());
            http.Prompt(volumeId, mid, boxes.Next());
            http.Get("/api/v1/info");
            http.Get($"/api/v1/volumes/{volumeId}/slices/axial/{mid}.png");
        }
        var local = new List<double>();
        var remote = new List<double>();
        var info = new List<double>();
        var png = new List<double>();
        int perRound = Math.Max(1, prompts / rounds);
        for (int r = 0; r < rounds; r++)
        {
            var block = Enumerable.Range(0, perRound).Select(_ => boxes.Next()).ToList();
            foreach (var box in block) local.Add(Time(() => Local(mid, box)));
            foreach (var box in block) remote.Add(Time(() => http.Prompt(volumeId, mid, box)));
            for (int i = 0; i < perRound / 4 + 1; i++)
            {
                info.Add(Time(() => http.Get("/api/v1/info")));
                png.Add(Time(() => http.Get($"/api/v1/volumes/{volumeId}/slices/axial/{mid}.png")));
            }
        }
        var localStats = Latency.Of(local);
        var remoteStats = Latency.Of(remote);
        Console.WriteLine($"{"prompt on an encoded slice",-44} {"p50 ms",8} {"p95 ms",8} {"n",6}");
        Console.WriteLine(localStats.Row("in process (SegmentationSession.Prompt)"));
        Console.WriteLine(remoteStats.Row("HTTP POST /prompts, RLE answer parsed"));
        Console.WriteLine(Latency.Of(info).Row("HTTP GET /info (the transport's floor)"));
        Console.WriteLine(Latency.Of(png).Row($"HTTP GET slices/axial/{mid}.png"));
        Console.WriteLine($"round trip / in process: p50 {remoteStats.P50 / localStats.P50:F2}×, p95 {remoteStats.P95 / localStats.P95:F2}× (target p50 ≤ 2×)");

        // The same load on the library alone (threads on one session), to tell the server's share of any slowdown from the session lock's.
        var concurrentLocal = clients > 0 ? Clients((index, box) => { Local(index, box); return "200"; }, slices, clients, perClient, jitter) : null;
        var concurrent = clients > 0 ? Clients((index, box) => http.TryPrompt(volumeId, index, box), slices, clients, perClient, jitter) : null;
        if (concurrent is not null && concurrentLocal is not null)
        {
            Console.WriteLine($"{clients} clients × {perClient} prompts on encoded slices: {concurrent.PromptsPerSecond:F1} prompts/s "
                + $"(one client: {1000 / remoteStats.P50:F1}/s; {clients} threads on an in-process session: {concurrentLocal.PromptsPerSecond:F1}/s), "
                + $"latency p50 {concurrent.Latency.P50:F1} ms p95 {concurrent.Latency.P95:F1} ms, "
                + $"statuses {string.Join(", ", concurrent.Statuses.Select(s => $"{s.Key}: {s.Value}"))}, RSS {concurrent.RssBeforeMib:F0} → {concurrent.RssAfterMib:F0} MiB");
        }

        var registry = app.Services.GetRequiredService<VolumeRegistry>();
        var longRows = longRun > 0 ? LongRun(http, registry, dims, longRun, every, jitter, delete: false) : null;
        var longDeleting = longRun > 0 && longDelete ? LongRun(http, registry, dims, longRun, every, jitter, delete: true) : null;

        var result = new
        {
            threads, processors = Environment.ProcessorCount, model = Path.GetFileName(modelPath), volume = options.BuiltinVolume, dims,
            box = ThalamusBox, jitter_px = jitter, slices, cache_mb = cacheMb, serve_logging = serveLogging,
            server_start_ms = startMs, open_builtin_ms = openMs, encoded_slice_bytes = sliceBytes,
            first_prompt_ms = new
            {
                in_process = firstLocal, in_process_pool_thread = firstPool, http = firstHttp,
                warm_in_process_p50 = firstWarm.InProcess.P50, warm_pool_thread_p50 = firstWarm.Pool.P50, warm_http_p50 = firstWarm.Http.P50,
                warm_ratio_p50 = firstWarm.Http.P50 / firstWarm.InProcess.P50,
            },
            encoded_slice = new
            {
                rounds, in_process = localStats, http = remoteStats,
                ratio_p50 = remoteStats.P50 / localStats.P50, ratio_p95 = remoteStats.P95 / localStats.P95,
                get_info = Latency.Of(info), get_slice_png = Latency.Of(png),
            },
            concurrent, concurrent_in_process = concurrentLocal,
            long_run = longRows,
            long_run_deleting_each_object = longDeleting,
        };
        AtomicFile.WriteAllText(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        Console.WriteLine($"wrote {output}");
        app.StopAsync().GetAwaiter().GetResult();
        return 0;
    }

    static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    public sealed record ConcurrentResult(
        int Clients, int PromptsPerClient, double WallSeconds, int Ok, double PromptsPerSecond, Latency Latency,
        SortedDictionary<string, int> Statuses, double RssBeforeMib, double RssAfterMib, double PeakRssMib);

    /// <summary>
    /// <paramref name="clients"/> threads, each sending <paramref name="perClient"/> prompts on the
    /// encoded slices, all released at once; <paramref name="prompt"/> (slice, box) answers with a
    /// status ("200" when answered).
    /// </summary>
    static ConcurrentResult Clients(Func<int, double[], string> prompt, int[] slices, int clients, int perClient, int jitter)
    {
        var statuses = new ConcurrentDictionary<string, int>();
        var times = new ConcurrentBag<double>();
        using var start = new Barrier(clients + 1);
        var workers = Enumerable.Range(0, clients).Select(c => new Thread(() =>
        {
            var boxes = new Jitter(ThalamusBox, jitter, seed: 100 + c);
            start.SignalAndWait();
            for (int i = 0; i < perClient; i++)
            {
                var clock = Stopwatch.StartNew();
                string status = prompt(slices[(c + i) % slices.Length], boxes.Next());
                if (status == "200") times.Add(clock.Elapsed.TotalMilliseconds);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }) { IsBackground = true }).ToList();
        GC.Collect();
        double before = PeakRss.CurrentMiB();
        bool peakReset = PeakRss.Reset();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        workers.ForEach(w => w.Join());
        double wall = clock.Elapsed.TotalSeconds;
        double after = PeakRss.CurrentMiB();
        int ok = statuses.GetValueOrDefault("200");
        return new ConcurrentResult(clients, perClient, wall, ok, ok / wall, Latency.Of([.. times]), new SortedDictionary<string, int>(statuses),
            before, after, peakReset ? PeakRss.MiB() : double.NaN);
    }

    public sealed record LongRow(
        int Prompts, double ElapsedSeconds, double PromptsPerSecond, double RssMib, double ManagedHeapMib,
        long TensorsBeforeGc, long TensorsAfterGc, int AnswersHeld, int CachedSlices, double CacheMib);

    /// <summary>
    /// <paramref name="count"/> prompts, one client, on a volume of their own: ten prompts on each
    /// axial slice in turn (slices visited in a scattered order, so the embedding cache fills to its
    /// bound and then evicts), a row every <paramref name="every"/> prompts. With
    /// <paramref name="delete"/> each answer's object is deleted after it (DELETE objects/{oid}),
    /// so that the server keeps no answers.
    /// </summary>
    static List<LongRow> LongRun(Client http, VolumeRegistry registry, int[] dims, int count, int every, int jitter, bool delete)
    {
        var (volumeId, _) = http.OpenBuiltin();
        // Leased for the whole run, so the TTL sweeper leaves it alone while rows are read from it.
        using var lease = registry.Lease(volumeId);
        var entry = lease.Entry;
        var boxes = new Jitter(ThalamusBox, jitter, seed: 7);
        int nz = dims[2], stride = Enumerable.Range(37, nz).First(s => Gcd(s, nz) == 1);
        var rows = new List<LongRow>();
        Console.WriteLine($"long run{(delete ? ", each object deleted after its answer" : "")}: {count} prompts, 10 per axial slice, {nz} slices; every {every} prompts:");
        Console.WriteLine($"{"prompts",8} {"prompts/s",10} {"RSS MiB",8} {"heap MiB",9} {"tensors",8} {"after GC",9} {"answers",8} {"cached",7} {"cache MiB",9}");
        var clock = Stopwatch.StartNew(); // stopped while a row is taken
        double lastSeconds = 0;
        int lastCount = 0;
        for (int i = 0; i <= count; i++)
        {
            if (i % every == 0 || i == count)
            {
                clock.Stop();
                double elapsed = clock.Elapsed.TotalSeconds;
                long tensorsBefore = TorchSharp.torch.Tensor.TotalCount;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var cache = entry.Session.CacheUse;
                var row = new LongRow(i, elapsed, i == 0 ? 0 : (i - lastCount) / (elapsed - lastSeconds), PeakRss.CurrentMiB(), GC.GetTotalMemory(false) / 1048576.0,
                    tensorsBefore, TorchSharp.torch.Tensor.TotalCount, entry.Objects.Count, cache.Slices, cache.Bytes / 1048576.0);
                (lastSeconds, lastCount) = (elapsed, i);
                rows.Add(row);
                Console.WriteLine($"{row.Prompts,8} {row.PromptsPerSecond,10:F1} {row.RssMib,8:F0} {row.ManagedHeapMib,9:F1} {row.TensorsBeforeGc,8} {row.TensorsAfterGc,9} {row.AnswersHeld,8} {row.CachedSlices,7} {row.CacheMib,9:F1}");
                if (i == count) break;
                clock.Start();
            }
            int objectId = http.Prompt(volumeId, (int)((long)(i / 10) * stride % nz), boxes.Next());
            if (delete) http.Delete($"/api/v1/volumes/{volumeId}/objects/{objectId}");
        }
        http.Delete($"/api/v1/volumes/{volumeId}");
        return rows;
    }

    static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>p50/p95 (nearest rank) and mean of a set of times in ms.</summary>
    public sealed record Latency(int N, double P50, double P95, double Mean)
    {
        public static Latency Of(IReadOnlyCollection<double> times)
        {
            if (times.Count == 0) return new Latency(0, double.NaN, double.NaN, double.NaN);
            var sorted = times.Order().ToArray();
            double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
            return new Latency(sorted.Length, Rank(0.5), Rank(0.95), sorted.Average());
        }

        public string Row(string name) => $"{name,-44} {P50,8:F2} {P95,8:F2} {N,6}";
    }

    /// <summary>The box moved by up to ±<c>px</c> on each side (and kept at least 2 px wide), from a fixed seed.</summary>
    sealed class Jitter(double[] box, int px, int seed)
    {
        readonly Random random = new(seed);

        public double[] Next()
        {
            double x0 = box[0] + random.Next(-px, px + 1), y0 = box[1] + random.Next(-px, px + 1);
            return [x0, y0, Math.Max(x0 + 2, box[2] + random.Next(-px, px + 1)), Math.Max(y0 + 2, box[3] + random.Next(-px, px + 1))];
        }
    }

    /// <summary>The server's API as a client sees it, synchronously (HttpClient.Send), without a proxy.</summary>
    sealed class Client(string baseUrl) : IDisposable
    {
        readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(baseUrl) };

        public (string Id, int[] Dims) OpenBuiltin()
        {
            using var doc = Json(Send(HttpMethod.Post, "/api/v1/volumes/builtin", null), 201);
            return (doc.RootElement.GetProperty("id").GetString()!, [.. doc.RootElement.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32())]);
        }

        /// <summary>A box prompt answered with an RLE mask; checks that the runs cover the slice.</summary>
        public int Prompt(string volumeId, int index, double[] box)
        {
            using var doc = Json(SendPrompt(volumeId, index, box), 200);
            var answer = doc.RootElement;
            long covered = answer.GetProperty("maskRle").EnumerateArray().Sum(r => (long)r.GetInt32());
            if (covered != (long)answer.GetProperty("height").GetInt32() * answer.GetProperty("width").GetInt32())
                throw new InvalidDataException($"the RLE mask covers {covered} pixels, not height × width");
            return answer.GetProperty("objectId").GetInt32();
        }

        /// <summary>A box prompt; the status code (the answer read and parsed when it is 200), or the exception's type name.</summary>
        public string TryPrompt(string volumeId, int index, double[] box)
        {
            try
            {
                using var response = SendPrompt(volumeId, index, box);
                using var body = response.Content.ReadAsStream();
                if (response.IsSuccessStatusCode) JsonDocument.Parse(body).Dispose();
                else body.CopyTo(Stream.Null);
                return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                return e.GetType().Name;
            }
        }

        public void Get(string path)
        {
            using var response = Send(HttpMethod.Get, path, null);
            Check(response, 200);
            response.Content.ReadAsStream().CopyTo(Stream.Null);
        }

        public void Delete(string path)
        {
            using var response = Send(HttpMethod.Delete, path, null);
            Check(response, 204);
        }

        HttpResponseMessage SendPrompt(string volumeId, int index, double[] box) =>
            Send(HttpMethod.Post, $"/api/v1/volumes/{volumeId}/prompts", JsonSerializer.Serialize(new { axis = Axial, index, box, mask = "rle" }));

        HttpResponseMessage Send(HttpMethod method, string path, string? json)
        {
            var request = new HttpRequestMessage(method, path);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            return http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        }

        static JsonDocument Json(HttpResponseMessage response, int status)
        {
            using (response)
            {
                Check(response, status);
                return JsonDocument.Parse(response.Content.ReadAsStream());
            }
        }

        static void Check(HttpResponseMessage response, int status)
        {
            if ((int)response.StatusCode != status)
                throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        }

        public void Dispose() => http.Dispose();
    }
}
