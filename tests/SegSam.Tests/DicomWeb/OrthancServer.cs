using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SegSam.Tests.Support;

namespace SegSam.Tests.DicomWeb;

/// <summary>
/// A real PACS for the tests: Debian's Orthanc with its DICOMweb plugin (packages orthanc,
/// orthanc-dicomweb), started on free loopback ports with a configuration and storage in a
/// temporary folder (never the system service's). A small shell watchdog runs it and ends it
/// when the test process ends, even if that process is killed before <see cref="Dispose"/>
/// (then the watchdog also deletes the temporary folder).
/// With <paramref name="users"/>, HTTP basic authentication is required (Orthanc's RegisteredUsers).
/// </summary>
public sealed class OrthancServer : IDisposable
{
    const string Executable = "/usr/sbin/Orthanc";
    static readonly string[] PluginPaths = ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so", "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7"];

    readonly Process process;
    readonly HttpClient rest;

    public TempDir Dir { get; } = new();
    public int HttpPort { get; }

    /// <summary>Orthanc's REST API root.</summary>
    public string RestUrl => $"http://127.0.0.1:{HttpPort}";

    /// <summary>The DICOMweb service root.</summary>
    public string DicomWebUrl => $"{RestUrl}/dicom-web";

    /// <summary>Orthanc's version as /system reports it.</summary>
    public string Version { get; }

    public OrthancServer(IReadOnlyDictionary<string, string>? users = null)
    {
        string plugin = PluginPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"Orthanc's DICOMweb plugin is not installed (looked for {string.Join(", ", PluginPaths)}): apt-get install orthanc orthanc-dicomweb (scripts/setup.sh)");
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is not installed: apt-get install orthanc (scripts/setup.sh)");
        rest = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        if (users is { Count: > 0 })
        {
            var (user, password) = users.First();
            rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        // A free port can be taken between probing and binding; a second try with new ports covers that.
        for (int attempt = 1; ; attempt++)
        {
            HttpPort = FreePort();
            string config = Dir.File("orthanc.json");
            File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["Name"] = "SEGSAM-TEST",
                ["StorageDirectory"] = Dir.File("storage"),
                ["IndexDirectory"] = Dir.File("storage"),
                ["HttpPort"] = HttpPort,
                ["DicomPort"] = FreePort(),
                ["RemoteAccessAllowed"] = false,
                ["AuthenticationEnabled"] = users is { Count: > 0 },
                ["RegisteredUsers"] = users ?? new Dictionary<string, string>(),
                ["Plugins"] = new[] { plugin },
                ["DicomWeb"] = new Dictionary<string, object> { ["Enable"] = true, ["Root"] = "/dicom-web/" },
                ["HttpCompressionEnabled"] = true, // Orthanc's default: gzip-compressed JSON answers, which the client must accept
            }));
            process = Start(config, Dir.File("orthanc.log"));
            if (WaitUntilAnswering(out string? version)) { Version = version!; return; }
            Stop();
            if (attempt == 2) throw new InvalidOperationException($"Orthanc did not start on port {HttpPort}:\n{Log}");
        }
    }

    /// <summary>What Orthanc wrote to its log so far (shown when a test needs to explain a failure).</summary>
    public string Log => File.Exists(Dir.File("orthanc.log")) ? File.ReadAllText(Dir.File("orthanc.log")) : "(no log)";

    static Process Start(string config, string log)
    {
        // The watchdog: runs Orthanc, and kills it when the test process (argument 1) is gone or when killed itself.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in (string[])["-c", """
            "$2" "$3" >"$4" 2>&1 & o=$!
            trap 'kill $o 2>/dev/null; exit 0' TERM INT HUP
            while kill -0 "$1" 2>/dev/null && kill -0 $o 2>/dev/null; do sleep 1; done
            kill $o 2>/dev/null; wait $o
            kill -0 "$1" 2>/dev/null || rm -rf "$5"
            """, "orthanc-watchdog", Environment.ProcessId.ToString(), Executable, config, log, Path.GetDirectoryName(config)!])
            psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start /bin/sh for Orthanc");
    }

    bool WaitUntilAnswering(out string? version)
    {
        version = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = rest.GetAsync($"{RestUrl}/system").Result;
                if (response.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(response.Content.ReadAsStringAsync().Result);
                    version = doc.RootElement.GetProperty("Version").GetString();
                    return true;
                }
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException)
            {
            }
            Thread.Sleep(100);
        }
        return false;
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stores DICOM files through Orthanc's REST API (POST /instances), independent of the DICOMweb code under test.</summary>
    public void Upload(IEnumerable<string> files)
    {
        foreach (string file in files)
        {
            using var content = new ByteArrayContent(File.ReadAllBytes(file));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            using var response = rest.PostAsync($"{RestUrl}/instances", content).Result;
            string body = response.Content.ReadAsStringAsync().Result;
            Assert.True(response.IsSuccessStatusCode, $"Orthanc refused {file}: HTTP {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>The raw bytes of one instance as Orthanc stores it (GET /instances/{id}/file), found by its SOP Instance UID.</summary>
    public byte[] InstanceFile(string sopInstanceUid)
    {
        using var find = new StringContent(JsonSerializer.Serialize(new { Level = "Instance", Query = new Dictionary<string, string> { ["SOPInstanceUID"] = sopInstanceUid } }),
            Encoding.UTF8, "application/json");
        using var found = rest.PostAsync($"{RestUrl}/tools/find", find).Result;
        using var ids = JsonDocument.Parse(found.Content.ReadAsStringAsync().Result);
        string id = Assert.Single(ids.RootElement.EnumerateArray().Select(e => e.GetString()!).ToList());
        return rest.GetByteArrayAsync($"{RestUrl}/instances/{id}/file").Result;
    }

    void Stop()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }

    public void Dispose()
    {
        Stop();
        rest.Dispose();
        Dir.Dispose();
    }
}
