using System.CommandLine;
using System.Runtime.InteropServices;
using SegSam.Batch;
using SegSam.Data.DicomWeb;
using SegSam.Worker;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam worker`: takes segmentation jobs from a RabbitMQ queue until SIGTERM or Ctrl+C (then it
/// finishes the jobs in hand). The work is <see cref="QueueWorker"/> running <see cref="JobRunner"/>.
/// </summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var broker = BrokerOptions.Broker();
        var queue = BrokerOptions.Queue();
        var results = BrokerOptions.Results();
        var models = new Option<string[]>("--model") { Description = "A model file: SEG-SAM for prompted jobs, PG-SAM for auto jobs; repeatable (default: the bundled SEG-SAM and PG-SAM models)" };
        var slots = new Option<int>("--slots") { Description = "Jobs run at once, and the prefetch (default 1; a job already uses every core)", DefaultValueFactory = _ => 1 };
        var attempts = new Option<int>("--max-attempts") { Description = "Deliveries of a job that fails transiently (storage unreachable, I/O error) before it is dead-lettered (default 3)", DefaultValueFactory = _ => 3 };
        var delay = new Option<double>("--retry-delay") { Description = "Seconds before the first retry; doubled for each further one (default 2)", DefaultValueFactory = _ => 2 };
        var heartbeat = new Option<int>("--heartbeat") { Description = "AMQP heartbeat in seconds (default 30)", DefaultValueFactory = _ => 30 };
        var dicomWeb = new Option<string[]>("--dicomweb") { Description = $"A DICOMweb service root that DICOMweb jobs may name (jobs naming another fail); repeatable. Credentials: {DicomWebCredentials.TokenVariable}, or {DicomWebCredentials.UserVariable} and {DicomWebCredentials.PasswordVariable}, read at start" };
        var precision = PrecisionOption.Create();
        var command = new Command("worker", "Take segmentation jobs from a RabbitMQ queue and publish their results (docs/scale-out.md).")
        {
            broker, queue, results, models, slots, attempts, delay, heartbeat, dicomWeb, precision,
        };
        command.SetAction(parse =>
        {
            var uri = BrokerOptions.Parse(parse.GetValue(broker)!);
            if (parse.GetValue(slots) is < 1 or > 64) throw new UsageException($"--slots must be 1..64, got {parse.GetValue(slots)}");
            if (parse.GetValue(attempts) < 1) throw new UsageException("--max-attempts must be at least 1");
            if (parse.GetValue(delay) is not (>= 0 and <= 3600)) throw new UsageException("--retry-delay must be 0..3600 seconds");
            if (parse.GetValue(heartbeat) is < 1 or > 600) throw new UsageException("--heartbeat must be 1..600 seconds");
            string[] files = parse.GetValue(models) is { Length: > 0 } given ? [.. given.Select(RepoPaths.Resolve)] : BundledModel.Both;
            string[] services = parse.GetValue(dicomWeb) ?? [];
            foreach (var url in services) ValueParsing.LibraryCall(() => DicomWebClient.ServiceRoot(url), "--dicomweb");
            using var runner = new JobRunner(files, PrecisionOption.Value(parse.GetValue(precision)))
            {
                DicomWebServices = services,
                DicomWebCredentials = services.Length > 0 ? DicomWebCredentials.FromEnvironment() : DicomWebCredentials.None,
            };
            var options = new WorkerOptions(uri)
            {
                Topology = new QueueTopology(parse.GetValue(queue)!, parse.GetValue(results)!),
                Slots = parse.GetValue(slots),
                MaxAttempts = parse.GetValue(attempts),
                RetryDelay = TimeSpan.FromSeconds(parse.GetValue(delay)),
                Heartbeat = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
            };
            using var stop = new CancellationTokenSource();
            // SIGTERM (systemd, docker stop) and Ctrl+C end the loop; the jobs in hand finish first.
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            var log = TextWriter.Synchronized(Console.Out);
            new QueueWorker(runner, options, log).RunAsync(stop.Token).GetAwaiter().GetResult();
            return ExitCodes.Success;
        });
        return command;
    }
}
