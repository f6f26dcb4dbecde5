using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using SegSam.Server;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam serve`: the REST API of <see cref="ServerHost"/> on Kestrel, until Ctrl+C. The command
/// only turns options into <see cref="ServerOptions"/>; the server checks them (a token off localhost).
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to bind; anything but localhost/127.0.0.1/::1 requires --token", DefaultValueFactory = _ => "127.0.0.1" };
        var models = new Option<string[]>("--model") { Description = "SEG-SAM model(s) for prompts and PG-SAM model(s) for segment-all (told apart as `segsam segment` does); the first of each kind is the default (default: the bundled models/segsam-atlas.safetensors and models/pgsam-atlas-lobes.safetensors); repeatable" };
        var token = new Option<string?>("--token") { Description = "Bearer token every request must carry (Authorization: Bearer T)" };
        var maxUpload = new Option<int>("--max-upload-mb") { Description = "Largest upload accepted, in MiB (larger: 413)", DefaultValueFactory = _ => 1024 };
        var mirror = new MirrorOption();
        var cache = new Option<int>("--cache-mb") { Description = "Embedding cache bound per open volume, in MiB", DefaultValueFactory = _ => 256 };
        var dicomWeb = new Option<string[]>("--dicomweb") { Description = $"DICOMweb service root of a PACS that POST /api/v1/volumes/dicomweb may retrieve from (only these: the server is no open proxy); credentials from {SegSam.Data.DicomWeb.DicomWebCredentials.TokenVariable}, or {SegSam.Data.DicomWeb.DicomWebCredentials.UserVariable} and {SegSam.Data.DicomWeb.DicomWebCredentials.PasswordVariable}; repeatable" };
        var ttl = new Option<string>("--session-ttl") { Description = "Close a volume unused this long: N followed by s, m or h", DefaultValueFactory = _ => "30m" };
        var command = new Command("serve", "Serve the browser viewer (/) and the segmentation API (/api/v1) over HTTP for interactive clients.")
        {
            port, host, models, token, maxUpload, cache, mirror.On, mirror.Off, ttl, dicomWeb,
        };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(models) is { Length: > 0 } given ? given.Select(RepoPaths.Resolve).ToList()
                : [.. BundledModel.Both];
            if (parse.GetValue(maxUpload) <= 0 || parse.GetValue(cache) <= 0) throw new UsageException("--max-upload-mb and --cache-mb must be positive");
            var options = new ServerOptions
            {
                Models = paths, Host = parse.GetValue(host)!, Port = parse.GetValue(port), Token = parse.GetValue(token),
                MaxUploadBytes = (long)parse.GetValue(maxUpload) << 20, CacheBytes = (long)parse.GetValue(cache) << 20, TestTimeMirroring = mirror.Value(parse),
                SessionTtl = Duration(parse.GetValue(ttl)!),
                // Checked now (an ArgumentException is a usage error), so that a typo stops the start, not the first request.
                DicomWebServers = [.. (parse.GetValue(dicomWeb) ?? []).Select(u => SegSam.Data.DicomWeb.DicomWebClient.ServiceRoot(u).ToString())],
                DicomWebCredentials = parse.GetValue(dicomWeb) is { Length: > 0 } ? SegSam.Data.DicomWeb.DicomWebCredentials.FromEnvironment() : SegSam.Data.DicomWeb.DicomWebCredentials.None,
            };
            if (!options.IsLoopback && string.IsNullOrEmpty(options.Token))
                throw new UsageException($"--host {options.Host} is reachable from other machines: give --token so that requests must carry it");
            using var app = ServerHost.Build(options);
            // Started first, so that the line below means the port is listening.
            app.Start();
            string root = $"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}";
            Console.WriteLine($"serving {string.Join(", ", paths)}: viewer {root}/, API {root}/api/v1 (Ctrl+C stops)");
            app.WaitForShutdown();
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>"90s", "30m", "2h" as a time span.</summary>
    static TimeSpan Duration(string text)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        throw new UsageException($"--session-ttl expects a positive number followed by s, m or h (e.g. 30m), got '{text}'");
    }
}
